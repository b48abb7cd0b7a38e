package uploader

import (
	"net/http"

	"github.com/quinte-media/quinte/message"
)

// campaignName checks a campaign named by a client (multipart field or tus metadata "campaign"). Only
// its shape is checked here; the worker knows the campaigns (configs/campaigns/) and fails a message
// naming one it does not have, with code unknown_campaign.
func campaignName(s string) (string, *apiError) {
	if s == "" || message.ValidCampaign(s) {
		return s, nil
	}
	return "", errorf(http.StatusBadRequest, "bad_campaign", "campaign %q is not a campaign name: lower-case letters, digits and dashes, such as spring-tour", s)
}

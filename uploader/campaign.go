package uploader

import (
	"net/http"
	"strings"

	"github.com/quinte-media/quinte/message"
)

// Campaigns is the catalogue of campaigns the API checks names against (pipeline/brand's Catalogue).
type Campaigns interface {
	Has(name string) bool
	Names() []string
}

// KnowCampaigns makes the API refuse an upload naming a campaign the catalogue does not have, at the
// door (400 with the list), instead of the worker failing it later with unknown_campaign.
func (s *Server) KnowCampaigns(c Campaigns) { s.campaigns = c }

// campaignName checks a campaign named by a client (multipart field or tus metadata "campaign"): its
// shape, and that the catalogue has it. The worker checks again (a campaign file removed since).
func (s *Server) campaignName(name string) (string, *apiError) {
	if name == "" {
		return "", nil
	}
	if !message.ValidCampaign(name) {
		return "", errorf(http.StatusBadRequest, "bad_campaign", "campaign %q is not a campaign name: lower-case letters, digits and dashes, such as spring-tour", name)
	}
	if s.campaigns != nil && !s.campaigns.Has(name) {
		return "", errorf(http.StatusBadRequest, "unknown_campaign", "there is no campaign %q; the campaigns are: %s", name, strings.Join(s.campaigns.Names(), ", "))
	}
	return name, nil
}

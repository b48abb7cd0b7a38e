package message

import "time"

// ReviewState is where the social team is with a message, apart from its processing status: every
// message starts pending; the team approves it or rejects it (with a reason), and may put it back to
// pending. Rejecting keeps every file.
type ReviewState string

const (
	ReviewPending  ReviewState = "pending"
	ReviewApproved ReviewState = "approved"
	ReviewRejected ReviewState = "rejected"
)

// ReviewStates are the states in the order people read them.
var ReviewStates = []ReviewState{ReviewPending, ReviewApproved, ReviewRejected}

// MaxReviewReason is the longest reason a review keeps, in characters.
const MaxReviewReason = 500

// Review is one decision of the team on a message: the state, why (required to reject), who decided
// (the authenticated principal's name) and when.
type Review struct {
	State  ReviewState `json:"state"`
	Reason string      `json:"reason,omitempty"`
	By     string      `json:"by,omitempty"`
	At     time.Time   `json:"at,omitzero"`
}

// ReviewOf is the record's review state: pending until someone decided.
func (r Record) ReviewOf() ReviewState { return r.LastReview().State }

// LastReview is the record's last review, or a pending one when nobody decided yet.
func (r Record) LastReview() Review {
	if r.Review == nil || r.Review.State == "" {
		return Review{State: ReviewPending}
	}
	return *r.Review
}

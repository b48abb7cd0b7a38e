package library

import (
	"context"

	"github.com/quinte-media/quinte/message"
)

// Events hears of the team's decisions on a message (the webhooks): approved, rejected, revoked.
type Events interface {
	Emit(ctx context.Context, event, id string) error
}

// TellEvents makes the API emit its events to e (nil: nobody listens).
func (s *Server) TellEvents(e Events) { s.events = e }

// emit tells the listener of event, after the record that it reports has been written. A listener that
// fails is logged: the decision stands either way.
func (s *Server) emit(ctx context.Context, event, id string) {
	if s.events == nil {
		return
	}
	if err := s.events.Emit(context.WithoutCancel(ctx), event, id); err != nil {
		s.log.Warn("event not sent", "event", event, "message_id", id, "err", err)
	}
}

// reviewEvent is the event of a review decision ("" for back to pending).
func reviewEvent(state message.ReviewState) string {
	switch state {
	case message.ReviewApproved:
		return message.EventApproved
	case message.ReviewRejected:
		return message.EventRejected
	}
	return ""
}

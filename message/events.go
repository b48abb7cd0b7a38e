package message

// The events a message's life emits, named as the webhooks send them (package webhook delivers them):
// the worker's message.ready and message.failed, the team's decisions and a withdrawal.
const (
	EventReady    = "message.ready"
	EventFailed   = "message.failed"
	EventApproved = "message.approved"
	EventRejected = "message.rejected"
	EventRevoked  = "message.revoked"
)

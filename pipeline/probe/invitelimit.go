package probe

// inviteSlack is how much longer than an invite's limit a recording may be: a browser's recorder stops
// a little after its timer, and containers round their durations.
const inviteSlack = 2.0

// InviteLimit refuses a recording longer than the maxSeconds its invite allows (with inviteSlack);
// maxSeconds 0 is no invite limit.
func InviteLimit(duration float64, maxSeconds int) error {
	if maxSeconds <= 0 || duration <= float64(maxSeconds)+inviteSlack {
		return nil
	}
	return refuse("too_long", "the recording lasts %s; it is longer than the %d seconds this invite allows: record a shorter one and upload it again", Clock(duration), maxSeconds)
}

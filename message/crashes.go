package message

import "fmt"

// CrashedOut reports how many of a message's jobs died with their process, counting one still marked
// running that no live job holds, and whether that is more than the retries allow. The worker checks it
// when a job starts, the reconciler on its pass: both fail the message (CrashedWorker) rather than run
// a file that kills its process again.
func (r Record) CrashedOut(maxRetry int) (int, bool) {
	n := r.Crashes
	if r.Running != "" {
		n++
	}
	return n, n > maxRetry
}

// CrashedWorker is the error of a message whose jobs' process died crashes times.
func CrashedWorker(crashes int) *Error {
	return &Error{Code: "crashed_worker", Message: fmt.Sprintf(
		"the worker's process died %d times while processing this message (killed, out of memory, or crashed on this file), so it is not tried again; an operator can look at the workers' logs and memory limit", crashes)}
}

package worker

import (
	"errors"
	"testing"

	"github.com/hibiken/asynq"
)

// RetryDelay: 10 s after the first failure, doubling, capped at 5 min; none after a dead worker.
func TestRetryDelay(t *testing.T) {
	for n, want := range map[int]int{0: 10, 1: 20, 2: 40, 3: 80, 5: 300, 20: 300} {
		if got := RetryDelay(n, errors.New("S3 timeout"), nil).Seconds(); int(got) != want {
			t.Errorf("RetryDelay(%d) = %vs, want %ds", n, got, want)
		}
	}
	if got := RetryDelay(1, asynq.ErrLeaseExpired, nil); got != 0 {
		t.Errorf("after a lost lease: %s", got)
	}
}

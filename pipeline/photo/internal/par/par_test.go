package par

import (
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/quinte-media/quinte/pipeline/internal/safe"
)

func TestRowsCoversEveryRow(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 1000, 4097} {
		seen := make([]atomic.Int32, n)
		Rows(n, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				seen[y].Add(1)
			}
		})
		for y := range seen {
			if c := seen[y].Load(); c != 1 {
				t.Fatalf("n=%d: row %d done %d times", n, y, c)
			}
		}
	}
}

// A panic on one of Rows' goroutines reaches the caller, whose recover (safe.Call) makes it an error
// carrying the stack where it happened; the process goes on.
func TestRowsPanicReachesTheCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // Rows starts goroutines on any machine
	var lut [3]float64
	err := safe.Call(func() error {
		Rows(1000, func(y0, y1 int) {
			if y0 > 0 {
				i := y0 // an index the table does not have, as a malformed colour table gives
				_ = lut[i%7+3]
			}
		})
		return nil
	})
	var pe *safe.PanicError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("Rows' panic became %v, want a PanicError with index out of range", err)
	}
	if !strings.Contains(string(pe.Stack), "par_test.go") {
		t.Errorf("stack does not show the panicking row function:\n%s", pe.Stack)
	}
}

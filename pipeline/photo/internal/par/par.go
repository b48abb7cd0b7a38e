// Package par splits per-row picture work over the cores.
package par

import (
	"runtime"
	"sync"

	"github.com/quinte-media/quinte/pipeline/internal/safe"
)

// Rows calls f on consecutive ranges [y0, y1) covering 0..n, one per core, and waits for them all.
// Small pictures stay on one goroutine. A panic in f, on any of them, is raised again on the caller's
// goroutine once all have ended (as a *safe.PanicError with the stack where it happened), where the
// caller's recover can turn it into the job's error: on a goroutine of its own nothing could.
func Rows(n int, f func(y0, y1 int)) {
	parts := min(runtime.GOMAXPROCS(0), max(1, n/64))
	if parts <= 1 {
		f(0, n)
		return
	}
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for p := range parts {
		y0, y1 := n*p/parts, n*(p+1)/parts
		wg.Go(func() {
			if err := safe.Call(func() error { f(y0, y1); return nil }); err != nil {
				once.Do(func() { first = err })
			}
		})
	}
	wg.Wait()
	if first != nil {
		panic(first)
	}
}

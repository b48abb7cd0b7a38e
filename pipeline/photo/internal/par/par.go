// Package par splits per-row picture work over the cores.
package par

import (
	"runtime"
	"sync"
)

// Rows calls f on consecutive ranges [y0, y1) covering 0..n, one per core, and waits for them all.
// Small pictures stay on one goroutine.
func Rows(n int, f func(y0, y1 int)) {
	parts := min(runtime.GOMAXPROCS(0), max(1, n/64))
	if parts <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		y0, y1 := n*p/parts, n*(p+1)/parts
		wg.Go(func() { f(y0, y1) })
	}
	wg.Wait()
}

package reframe

import "math"

// tautString is the shortest path through a corridor: at each time ts[i] the position must lie in
// [lo[i], hi[i]]. The path is piecewise linear; it holds still wherever one position fits every
// sample, and otherwise bends only at corridor corners, so it moves as little, as slowly and as
// straight as the subject allows. Greedy funnel algorithm, O(n) amortised. It returns one position per
// sample.
func tautString(ts, lo, hi []float64) []float64 {
	n := len(ts)
	out := make([]float64, n)
	if n == 0 {
		return out
	}
	ai := 0
	ax := startPosition(lo, hi)
	out[0] = ax
	for ai < n-1 {
		smin, smax := math.Inf(-1), math.Inf(1)
		mi, ma := -1, -1
		bent := false
		for j := ai + 1; j < n; j++ {
			dt := ts[j] - ts[ai]
			if dt <= 0 {
				dt = 1e-9
			}
			sl, su := (lo[j]-ax)/dt, (hi[j]-ax)/dt
			if sl > smax { // the corridor rises above every line still possible: bend up at the upper corner
				ax = fillLine(out, ts, ai, ax, ma, hi[ma])
				ai = ma
				bent = true
				break
			}
			if su < smin { // it falls below: bend down at the lower corner
				ax = fillLine(out, ts, ai, ax, mi, lo[mi])
				ai = mi
				bent = true
				break
			}
			if sl > smin {
				smin, mi = sl, j
			}
			if su < smax {
				smax, ma = su, j
			}
		}
		if !bent {
			// The rest fits one straight line: the slowest one (holding still if it can).
			s := clamp(0, smin, smax)
			for j := ai + 1; j < n; j++ {
				out[j] = ax + s*(ts[j]-ts[ai])
			}
			break
		}
	}
	return out
}

// fillLine writes the straight segment from (ts[a], ax) to (ts[b], bx) and returns bx.
func fillLine(out, ts []float64, a int, ax float64, b int, bx float64) float64 {
	for j := a + 1; j <= b; j++ {
		f := (ts[j] - ts[a]) / (ts[b] - ts[a])
		if ts[b] == ts[a] {
			f = 1
		}
		out[j] = ax + (bx-ax)*f
	}
	return bx
}

// startPosition picks where a shot starts: the position that can be held longest, on the side the
// corridor leaves towards, or the middle of what every sample allows when one position fits them all.
func startPosition(lo, hi []float64) float64 {
	l, u := lo[0], hi[0]
	for j := 1; j < len(lo); j++ {
		if lo[j] > u {
			return u
		}
		if hi[j] < l {
			return l
		}
		l, u = math.Max(l, lo[j]), math.Min(u, hi[j])
	}
	return (l + u) / 2
}

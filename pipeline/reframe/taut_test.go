package reframe

import (
	"math"
	"testing"
)

func TestTautStringHoldsWhenItCan(t *testing.T) {
	ts := []float64{0, 1, 2, 3}
	lo := []float64{0, 2, 1, 3}
	hi := []float64{10, 8, 9, 7}
	got := tautString(ts, lo, hi)
	for i := range got {
		if got[i] != got[0] {
			t.Fatalf("moved although one position fits all: %v", got)
		}
		if got[i] < lo[i] || got[i] > hi[i] {
			t.Fatalf("left the corridor: %v", got)
		}
	}
}

func TestTautStringFollowsARamp(t *testing.T) {
	// A subject moving right at 10 px/s with a 4 px corridor: the path must stay inside and move at
	// close to 10 px/s, never faster than needed by much.
	var ts, lo, hi []float64
	for i := 0; i <= 40; i++ {
		x := float64(i) * 0.25
		ts = append(ts, x)
		lo = append(lo, 10*x-2)
		hi = append(hi, 10*x+2)
	}
	got := tautString(ts, lo, hi)
	for i := range got {
		if got[i] < lo[i]-1e-9 || got[i] > hi[i]+1e-9 {
			t.Fatalf("sample %d at %.2f outside [%.2f, %.2f]", i, got[i], lo[i], hi[i])
		}
		if i > 0 {
			if v := (got[i] - got[i-1]) / 0.25; v > 26 || v < 0 {
				t.Fatalf("speed %.1f px/s at %d", v, i)
			}
		}
	}
}

func TestTautStringStepHoldsThenMovesOnce(t *testing.T) {
	// Subject at 0..10 for 2 s, then 50..60: the camera holds, moves once, holds.
	var ts, lo, hi []float64
	for i := 0; i < 16; i++ {
		ts = append(ts, float64(i)*0.25)
		if i < 8 {
			lo, hi = append(lo, 0), append(hi, 10)
		} else {
			lo, hi = append(lo, 50), append(hi, 60)
		}
	}
	got := tautString(ts, lo, hi)
	moves := 0
	for i := 1; i < len(got); i++ {
		if math.Abs(got[i]-got[i-1]) > 1e-9 {
			moves++
		}
		if got[i] < lo[i]-1e-9 || got[i] > hi[i]+1e-9 {
			t.Fatalf("outside the corridor at %d: %v", i, got)
		}
	}
	if moves != 1 {
		t.Errorf("moved in %d steps, want 1: %v", moves, got)
	}
}

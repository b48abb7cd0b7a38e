// Package sat does the arithmetic of sizes read from files, saturating at math.MaxInt64 instead of
// wrapping: two 32-bit sides from a HEIF ispe box multiply past an int64, and a wrapped product is a
// small or negative number that passes every limit.
package sat

import "math"

// Mul is a×b, 0 when either is not positive.
func Mul(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// Add is a+b for counts that are not negative.
func Add(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

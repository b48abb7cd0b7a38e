package safe

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestCall(t *testing.T) {
	boom := errors.New("boom")
	var nilMap map[string]int
	var index []int
	for _, tc := range []struct {
		name      string
		f         func() error
		wantPanic string // "" when no panic is expected
		wantErr   error
	}{
		{"returns its error", func() error { return boom }, "", boom},
		{"returns nil", func() error { return nil }, "", nil},
		{"panic with a value", func() error { panic("a string") }, "panic: a string", nil},
		{"runtime error", func() error { _ = index[3]; return nil }, "index out of range", nil},
		{"nil map write", func() error { nilMap["x"] = 1; return nil }, "nil map", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Call(tc.f)
			var pe *PanicError
			if tc.wantPanic == "" {
				if errors.As(err, &pe) || !errors.Is(err, tc.wantErr) {
					t.Fatalf("Call = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.wantPanic) {
				t.Fatalf("Call = %v, want a PanicError with %q", err, tc.wantPanic)
			}
			if !strings.Contains(string(pe.Stack), "safe_test.go") {
				t.Errorf("the stack does not show where it panicked:\n%s", pe.Stack)
			}
		})
	}
}

// A runtime error stays visible through errors.As, and a PanicError re-raised on another goroutine
// keeps the stack of the first.
func TestCallKeepsTheCause(t *testing.T) {
	var index []int
	err := Call(func() error { _ = index[1]; return nil })
	var re runtime.Error
	if !errors.As(err, &re) {
		t.Fatalf("%v does not unwrap to a runtime.Error", err)
	}
	first := err.(*PanicError)
	again := Call(func() error { panic(first) })
	if again != first {
		t.Errorf("re-raised PanicError became %v", again)
	}
}

func TestGoHandsThePanicOver(t *testing.T) {
	var wg sync.WaitGroup
	wg.Add(1)
	var got error
	Go(func() { panic("in a goroutine") }, func(err error) { got = err; wg.Done() })
	wg.Wait()
	if got == nil || !strings.Contains(got.Error(), "in a goroutine") {
		t.Fatalf("onPanic got %v", got)
	}
	done := make(chan struct{})
	Go(func() { close(done) }, func(err error) { t.Errorf("onPanic called without a panic: %v", err) })
	<-done
}

// Package safe runs the pipeline's goroutines so that a panic in one becomes the job's error instead
// of the end of the process: a goroutine's panic cannot be recovered by anyone but itself, so every
// `go` statement (and every errgroup or WaitGroup Go) under pipeline/ runs its function through Call.
// It is defence in depth for the code that stays in the worker; decoding untrusted photos runs in a
// child process (pipeline/photochild.go), where a panic ends that process alone.
package safe

import (
	"fmt"
	"runtime/debug"
)

// PanicError is a recovered panic: its value and the stack of the goroutine that panicked.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic's value when it was an error (a runtime.Error, say).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Call runs f and turns a panic in it into a *PanicError. A panic whose value is already a
// *PanicError (re-raised by Rethrow on another goroutine) keeps its first stack.
func Call(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if pe, ok := v.(*PanicError); ok {
				err = pe
				return
			}
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return f()
}

// Func wraps f for errgroup.Group.Go and sync.WaitGroup-style callers: the returned function never
// panics.
func Func(f func() error) func() error {
	return func() error { return Call(f) }
}

// Go runs f on a new goroutine; a panic in it is handed to onPanic (which may cancel the job with it)
// instead of ending the process.
func Go(f func(), onPanic func(error)) {
	go func() {
		if err := Call(func() error { f(); return nil }); err != nil {
			onPanic(err)
		}
	}()
}

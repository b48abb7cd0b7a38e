// Package reject is the one error of an input that will never work (a damaged video, a photo bomb):
// a code and a reason a person can act on. The pipeline and package photo both return it (as
// pipeline.InputError and photo.Error), so the worker fails such a message at once, whichever step
// refused it.
package reject

import "fmt"

// Error is an input that will never work, with a code and a reason a person can act on.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns the Error of code with a message formatted from format and a.
func New(code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

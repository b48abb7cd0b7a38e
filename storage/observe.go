package storage

import (
	"context"
	"errors"
	"net/http"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Option changes how New builds the store.
type Option func(*options)

type options struct {
	errorCount func(operation string)
}

// CountErrors has count told the name of every S3 operation (GetObject, PutObject…) that failed
// after the client's retries, whoever called it: this package, or a library given Client() (tusd).
// A missing key (404), a lost compare-and-swap (412) and a not-modified (304) are answers, not
// errors; nor is an operation its caller stopped waiting for.
func CountErrors(count func(operation string)) Option {
	return func(o *options) { o.errorCount = count }
}

// errorCounter is a middleware of the operation's first step: it sees each call once, retries
// included.
func errorCounter(count func(operation string)) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("QuinteErrorCount",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if err != nil && ctx.Err() == nil && !isAnswer(err) {
					count(awsmiddleware.GetOperationName(ctx))
				}
				return out, md, err
			}), middleware.Before)
	}
}

func isAnswer(err error) bool {
	if errors.Is(err, context.Canceled) {
		return true
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound, http.StatusPreconditionFailed, http.StatusNotModified:
			return true
		}
	}
	return false
}

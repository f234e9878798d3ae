package consistency

import (
	"context"
	"errors"

	"github.com/redactor-go/redactor"
)

// errKind names an error for the counts of failures: the prefix of an
// error reply, or the client's sentinel error it wraps.
func errKind(err error) string {
	var redisErr *redactor.RedisError
	if errors.As(err, &redisErr) {
		return "error reply " + redisErr.Prefix()
	}
	for _, known := range []error{redactor.ErrUnknownOutcome, redactor.ErrNodeUnreachable, redactor.ErrNotSent,
		redactor.ErrTooManyRedirects, redactor.ErrSlotNotServed, redactor.ErrClosed, redactor.ErrUnexpectedType,
		redactor.ErrNil, context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	return err.Error()
}

package wire

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestChain(t *testing.T) {
	canceled := errors.New("redactor: canceled before it was sent")
	tests := []struct {
		name string
		errs []error
		want string
	}{
		{"sentinels and a cause", []error{ErrNotSent, canceled, context.DeadlineExceeded},
			"redactor: command not sent: canceled before it was sent: context deadline exceeded"},
		{"nil skipped", []error{ErrNotSent, nil, context.Canceled}, "redactor: command not sent: context canceled"},
		{"inner prefix kept when not leading", []error{errors.New("a"), errors.New("b: redactor: c")}, "a: b: redactor: c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Chain(tt.errs...)
			assert.Equal(t, tt.want, err.Error())
			for _, e := range tt.errs {
				if e != nil {
					assert.ErrorIs(t, err, e)
				}
			}
		})
	}
	assert.NoError(t, Chain(nil, nil))
}

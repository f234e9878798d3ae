package wire

import "strings"

// Chain returns an error that matches each of errs (errors.Is, errors.As)
// and reads as their texts joined by ": ", outermost first, with the
// "redactor: " that sentinels after the first start with left out: "redactor:
// command not sent: canceled before it was sent: context deadline exceeded",
// not three "redactor:" in a line. Nil errors are skipped.
func Chain(errs ...error) error {
	c := &chain{errs: make([]error, 0, len(errs))}
	for _, err := range errs {
		if err != nil {
			c.errs = append(c.errs, err)
		}
	}
	if len(c.errs) == 0 {
		return nil
	}
	return c
}

type chain struct {
	errs []error
}

func (c *chain) Error() string {
	var b strings.Builder
	for i, err := range c.errs {
		s := err.Error()
		if i > 0 {
			b.WriteString(": ")
			s = strings.TrimPrefix(s, "redactor: ")
		}
		b.WriteString(s)
	}
	return b.String()
}

func (c *chain) Unwrap() []error { return c.errs }

var _ interface{ Unwrap() []error } = (*chain)(nil)

package main

import (
	"context"
	"fmt"

	"github.com/redactor-go/redactor"
)

// redactorClient runs pipelines in one mode, parallel or serial, on a
// shared redactor.Client.
type redactorClient struct {
	c        *redactor.Client
	parallel bool
}

var _ client = redactorClient{}

// newRedactor connects a redactor client with its default configuration.
func newRedactor(ctx context.Context, seeds []string) (*redactor.Client, error) {
	c, err := redactor.New(ctx, redactor.Config{Addrs: seeds})
	if err != nil {
		return nil, fmt.Errorf("redactor: %w", err)
	}
	return c, nil
}

func (r redactorClient) name() string {
	if r.parallel {
		return nameRedactor
	}
	return nameSerial
}

func (r redactorClient) pipeline(ctx context.Context, ops []op) error {
	p := r.c.Pipeline(redactor.WithParallel(r.parallel))
	for _, o := range ops {
		if o.set {
			p.Do("SET", o.key, o.val())
		} else {
			p.Do("GET", o.key)
		}
	}
	results, err := p.Exec(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", r.name(), err)
	}
	for i, res := range results {
		if err := check(ops[i], res); err != nil {
			return fmt.Errorf("%s: %w", r.name(), err)
		}
	}
	return nil
}

func (r redactorClient) do(ctx context.Context, o op) error {
	var res redactor.Result
	if o.set {
		res = r.c.Do(ctx, "SET", o.key, o.val())
	} else {
		res = r.c.Do(ctx, "GET", o.key)
	}
	if err := check(o, res); err != nil {
		return fmt.Errorf("%s: %w", r.name(), err)
	}
	return nil
}

// check returns the error of one redactor result, or a wrong reply.
func check(o op, res redactor.Result) error {
	switch {
	case res.Err != nil:
		return res.Err
	case o.set && res.Value != "OK":
		return fmt.Errorf("SET %s: got %#v", o.key, res.Value)
	case !o.set:
		return checkGet(o, res.Value)
	}
	return nil
}

package main

import (
	"context"
	"errors"
	"fmt"
)

// op is one command of a workload: SET key value, or GET key, which must
// return value. An empty value means benchValue.
type op struct {
	set   bool
	key   string
	value string
}

// val returns the value the op sets or expects.
func (o op) val() string {
	if o.value == "" {
		return benchValue
	}
	return o.value
}

// benchValue is the value of every key: workloads SET it, GETs expect it
// (prepare stores it in every key first).
const benchValue = "0123456789abcdef0123456789abcdef"

// client is one client library, or one mode of one, under test.
type client interface {
	// name is the client's label in tables, CSV and charts.
	name() string
	// pipeline runs ops as one pipeline and checks every reply.
	pipeline(ctx context.Context, ops []op) error
	// do runs one op as a single command and checks its reply.
	do(ctx context.Context, o op) error
}

// Client labels, also the order of the columns of the table.
const (
	nameRedactor = "redactor"
	nameSerial   = "redactor-serial"
	nameGoRedis  = "go-redis"
	// nameGoRedisTuned is go-redis with a larger pool and, for single
	// commands, its automatic pipelining.
	nameGoRedisTuned = "go-redis-tuned"
	nameRueidis      = "rueidis"
)

// clientNames are the labels in table order.
var clientNames = []string{nameRedactor, nameSerial, nameGoRedis, nameGoRedisTuned, nameRueidis}

// clients are the clients connected to one env, and what closes them.
type clients struct {
	all     []client
	closers []func() error
}

// connect creates every client against seeds (only the first address is
// given to each, so that each finds the other masters itself).
func connect(ctx context.Context, seeds []string) (*clients, error) {
	cs := &clients{}
	r, err := newRedactor(ctx, seeds[:1])
	if err != nil {
		return nil, err
	}
	cs.closers = append(cs.closers, r.Close)
	cs.all = append(cs.all, redactorClient{c: r, parallel: true}, redactorClient{c: r, parallel: false})

	g := newGoRedis(seeds[:1])
	cs.closers = append(cs.closers, g.Close)
	cs.all = append(cs.all, goRedisClient{c: g})
	tuned, err := newGoRedisTuned(seeds[:1])
	if err != nil {
		return nil, errors.Join(err, cs.close())
	}
	cs.closers = append(cs.closers, tuned.c.Close)
	cs.all = append(cs.all, tuned)

	u, err := newRueidis(seeds[:1])
	if err != nil {
		return nil, errors.Join(err, cs.close())
	}
	cs.closers = append(cs.closers, func() error { u.Close(); return nil })
	cs.all = append(cs.all, rueidisClient{u})
	return cs, nil
}

// only returns the clients with the given names, in table order.
func (cs *clients) only(names ...string) []client {
	var out []client
	for _, c := range cs.all {
		for _, n := range names {
			if c.name() == n {
				out = append(out, c)
			}
		}
	}
	return out
}

// close closes every client.
func (cs *clients) close() error {
	var errs []error
	for _, f := range cs.closers {
		errs = append(errs, f())
	}
	return errors.Join(errs...)
}

// checkGet returns an error unless a GET of o returned its value.
func checkGet(o op, got any) error {
	if s, ok := got.(string); !ok || s != o.val() {
		shown := fmt.Sprintf("%#v", got)
		if len(shown) > 80 {
			shown = shown[:80] + "..."
		}
		return fmt.Errorf("GET %s: got %s, want a value of %d bytes", o.key, shown, len(o.val()))
	}
	return nil
}

// connectOne creates one client, by label, and what closes it.
func connectOne(ctx context.Context, seeds []string, name string) (client, func() error, error) {
	switch name {
	case nameRedactor:
		r, err := newRedactor(ctx, seeds[:1])
		if err != nil {
			return nil, nil, err
		}
		return redactorClient{c: r, parallel: true}, r.Close, nil
	case nameGoRedis:
		g := newGoRedis(seeds[:1])
		return goRedisClient{c: g}, g.Close, nil
	case nameRueidis:
		u, err := newRueidis(seeds[:1])
		if err != nil {
			return nil, nil, err
		}
		return rueidisClient{u}, func() error { u.Close(); return nil }, nil
	}
	return nil, nil, fmt.Errorf("unknown client %q", name)
}

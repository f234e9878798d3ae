package main

import (
	"context"
	"fmt"

	"github.com/redis/rueidis"
)

// rueidisClient is a rueidis client with default options (auto-pipelining
// of single commands on).
type rueidisClient struct {
	c rueidis.Client
}

var _ client = rueidisClient{}

// newRueidis connects a rueidis client.
func newRueidis(seeds []string) (rueidis.Client, error) {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: seeds})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", nameRueidis, err)
	}
	return c, nil
}

func (rueidisClient) name() string { return nameRueidis }

func (u rueidisClient) pipeline(ctx context.Context, ops []op) error {
	cmds := make(rueidis.Commands, len(ops))
	for i, o := range ops {
		if o.set {
			cmds[i] = u.c.B().Set().Key(o.key).Value(o.val()).Build()
		} else {
			cmds[i] = u.c.B().Get().Key(o.key).Build()
		}
	}
	for i, res := range u.c.DoMulti(ctx, cmds...) {
		if err := checkRueidis(ops[i], res); err != nil {
			return err
		}
	}
	return nil
}

func (u rueidisClient) do(ctx context.Context, o op) error {
	var cmd rueidis.Completed
	if o.set {
		cmd = u.c.B().Set().Key(o.key).Value(o.val()).Build()
	} else {
		cmd = u.c.B().Get().Key(o.key).Build()
	}
	return checkRueidis(o, u.c.Do(ctx, cmd))
}

// checkRueidis returns the error of one rueidis result, or a wrong reply.
func checkRueidis(o op, res rueidis.RedisResult) error {
	s, err := res.ToString()
	if err == nil && o.set && s != "OK" {
		err = fmt.Errorf("SET %s: got %q", o.key, s)
	}
	if err == nil && !o.set {
		err = checkGet(o, s)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", nameRueidis, err)
	}
	return nil
}

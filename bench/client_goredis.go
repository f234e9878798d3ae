package main

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// goRedisClient is a go-redis v9 ClusterClient with default options.
type goRedisClient struct {
	c *redis.ClusterClient
}

var _ client = goRedisClient{}

// newGoRedis creates a go-redis cluster client; it connects lazily.
func newGoRedis(seeds []string) *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds})
}

func (goRedisClient) name() string { return nameGoRedis }

func (g goRedisClient) pipeline(ctx context.Context, ops []op) error {
	pipe := g.c.Pipeline()
	gets := make([]*redis.StringCmd, 0, len(ops))
	for _, o := range ops {
		if o.set {
			pipe.Set(ctx, o.key, o.val(), 0)
		} else {
			gets = append(gets, pipe.Get(ctx, o.key))
		}
	}
	cmds, err := pipe.Exec(ctx)
	if err != nil {
		// Exec returns the first command's error; find which.
		for _, c := range cmds {
			if c.Err() != nil {
				return fmt.Errorf("%s: %v: %w", nameGoRedis, c.Args(), c.Err())
			}
		}
		return fmt.Errorf("%s: %w", nameGoRedis, err)
	}
	for i, c := range cmds {
		if ops[i].set {
			if v := c.(*redis.StatusCmd).Val(); v != "OK" {
				return fmt.Errorf("%s: SET %s: got %q", nameGoRedis, ops[i].key, v)
			}
		}
	}
	j := 0
	for _, o := range ops {
		if !o.set {
			if err := checkGet(o, gets[j].Val()); err != nil {
				return fmt.Errorf("%s: %w", nameGoRedis, err)
			}
			j++
		}
	}
	return nil
}

func (g goRedisClient) do(ctx context.Context, o op) error {
	if o.set {
		if err := g.c.Set(ctx, o.key, o.val(), 0).Err(); err != nil {
			return fmt.Errorf("%s: %w", nameGoRedis, err)
		}
		return nil
	}
	v, err := g.c.Get(ctx, o.key).Result()
	if err == nil {
		err = checkGet(o, v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", nameGoRedis, err)
	}
	return nil
}

package main

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// goRedisClient is a go-redis v9 ClusterClient: with default options, or
// tuned as a Go team that tunes it would (a larger pool, and single
// commands through its automatic pipelining, ap).
type goRedisClient struct {
	c  *redis.ClusterClient
	ap *redis.AutoPipeliner // tuned only
}

var _ client = goRedisClient{}

// goRedisTunedPoolSize is the tuned client's connections per node (the
// default is 10 per CPU).
const goRedisTunedPoolSize = 64

// newGoRedis creates a go-redis cluster client; it connects lazily.
func newGoRedis(seeds []string) *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds})
}

// newGoRedisTuned creates the tuned go-redis client.
func newGoRedisTuned(seeds []string) (goRedisClient, error) {
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, PoolSize: goRedisTunedPoolSize})
	ap, err := c.AutoPipeline()
	if err != nil {
		c.Close()
		return goRedisClient{}, fmt.Errorf("%s: %w", nameGoRedisTuned, err)
	}
	return goRedisClient{c: c, ap: ap}, nil
}

func (g goRedisClient) name() string {
	if g.ap != nil {
		return nameGoRedisTuned
	}
	return nameGoRedis
}

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
				return fmt.Errorf("%s: %v: %w", g.name(), c.Args(), c.Err())
			}
		}
		return fmt.Errorf("%s: %w", g.name(), err)
	}
	for i, c := range cmds {
		if ops[i].set {
			if v := c.(*redis.StatusCmd).Val(); v != "OK" {
				return fmt.Errorf("%s: SET %s: got %q", g.name(), ops[i].key, v)
			}
		}
	}
	j := 0
	for _, o := range ops {
		if !o.set {
			if err := checkGet(o, gets[j].Val()); err != nil {
				return fmt.Errorf("%s: %w", g.name(), err)
			}
			j++
		}
	}
	return nil
}

func (g goRedisClient) do(ctx context.Context, o op) error {
	var cmds redis.Cmdable = g.c
	if g.ap != nil {
		cmds = g.ap
	}
	if o.set {
		if err := cmds.Set(ctx, o.key, o.val(), 0).Err(); err != nil {
			return fmt.Errorf("%s: %w", g.name(), err)
		}
		return nil
	}
	v, err := cmds.Get(ctx, o.key).Result()
	if err == nil {
		err = checkGet(o, v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", g.name(), err)
	}
	return nil
}

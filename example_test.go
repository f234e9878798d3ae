package redactor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/redactor-go/redactor"
)

// The tests' cluster stands in for yours: any node's address will do.
func ExampleClient_Pipeline() {
	ctx := context.Background()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1]})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	p := c.Pipeline()
	p.Do("SET", "example:user:{42}:name", "ada")
	p.Do("GET", "example:user:{42}:name")
	p.Do("INCR", "example:user:{42}:name") // fails on its own
	p.Do("DEL", "example:user:{42}:name")
	results, err := p.Exec(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range results {
		var redisErr *redactor.RedisError
		if errors.As(r.Err, &redisErr) {
			fmt.Println("error:", redisErr.Prefix())
			continue
		}
		fmt.Println(r.Value)
	}
	// Output:
	// OK
	// ada
	// error: ERR
	// 1
}

func ExampleWithParallel() {
	ctx := context.Background()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs(), SerialPipelines: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	fmt.Println(c.Pipeline().Parallel())                            // follows the client
	fmt.Println(c.Pipeline(redactor.WithParallel(true)).Parallel()) // overrides it
	// Output:
	// false
	// true
}

func ExampleClient_Do() {
	ctx := context.Background()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	// MSETNX is all-or-nothing: its keys must share a slot.
	r := c.Do(ctx, "MSETNX", "example:a", "1", "example:b", "2")
	fmt.Println(errors.Is(r.Err, redactor.ErrCrossSlot))
	// Output:
	// true
}

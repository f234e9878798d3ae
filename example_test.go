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

// With Protocol 3 the server tells maps and doubles apart, and the values
// say so; on the default RESP2 the same replies are a flat []any and a
// string.
func ExampleConfig_protocol() {
	ctx := context.Background()
	for _, protocol := range []int{2, 3} {
		c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1], Protocol: protocol})
		if err != nil {
			fmt.Println(err)
			return
		}
		p := c.Pipeline()
		p.Do("HSET", "example:{resp3}:h", "f", "v")
		p.Do("ZADD", "example:{resp3}:z", "1.5", "m")
		p.Do("HGETALL", "example:{resp3}:h")
		p.Do("ZSCORE", "example:{resp3}:z", "m")
		p.Do("DEL", "example:{resp3}:h", "example:{resp3}:z")
		results, err := p.Exec(ctx)
		c.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("RESP%d: %#v %#v\n", protocol, results[2].Value, results[3].Value)
	}
	// Output:
	// RESP2: []interface {}{"f", "v"} "1.5"
	// RESP3: map[string]interface {}{"f":"v"} 1.5
}

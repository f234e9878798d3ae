package redactor_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redactor-go/redactor"
)

// DoArgs takes numbers, []byte and bool as they are; the accessors give
// the replies back as Go types, converting the numbers Redis sends as text.
func ExamplePipeline_DoArgs() {
	ctx := context.Background()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1]})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	p := c.Pipeline()
	p.DoArgs("SET", "example:typed:visits", 41, "EX", 3600)
	p.DoArgs("INCRBY", "example:typed:visits", 1)
	p.DoArgs("ZADD", "example:typed:scores", 1.5, "ada")
	p.DoArgs("ZSCORE", "example:typed:scores", "ada")
	p.DoArgs("SET", "example:typed:raw", []byte{'h', 'i'})
	p.DoArgs("GET", "example:typed:raw")
	p.DoArgs("GET", "example:typed:missing")
	p.DoArgs("EXPIRE", "example:typed:visits", time.Minute) // never sent
	results, err := p.Exec(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	visits, _ := results[1].Int64()
	score, _ := results[3].Float64() // "1.5" on the wire
	raw, _ := results[5].Text()
	_, missing := results[6].Text()
	fmt.Println(visits, score, raw)
	fmt.Println(errors.Is(missing, redactor.ErrNil), results[6].IsNil())
	fmt.Println(results[7].Err)
	// Output:
	// 42 1.5 hi
	// true true
	// redactor: invalid argument: EXPIRE argument 2 is a time.Duration: DoArgs sends string, []byte, integers, floats and bool
}

// StringMap reads HGETALL's field/value pairs; Bool reads a 0 or 1.
func ExampleClient_DoArgs() {
	ctx := context.Background()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1]})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	c.DoArgs(ctx, "HSET", "example:typed:user", "name", "ada", "born", 1815)
	user, err := c.DoArgs(ctx, "HGETALL", "example:typed:user").StringMap()
	fmt.Println(user["name"], user["born"], err)
	hasEmail, err := c.DoArgs(ctx, "HEXISTS", "example:typed:user", "email").Bool()
	fmt.Println(hasEmail, err)
	_, err = c.DoArgs(ctx, "HGET", "example:typed:user", "name").Int64()
	fmt.Println(errors.Is(err, redactor.ErrUnexpectedType))
	// Output:
	// ada 1815 <nil>
	// false <nil>
	// true
}

package redactor_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/redactor-go/redactor"
)

// Scan walks the keys of every master; keys come in no particular order.
func ExampleClient_Scan() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1]})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	p := c.Pipeline()
	for _, user := range []string{"ada", "alan", "grace"} {
		p.Do("HSET", "example:scan:"+user, "name", user) // on several masters
	}
	p.Do("SET", "example:scan:count", "3")
	if _, err := p.Exec(ctx); err != nil {
		fmt.Println(err)
		return
	}

	var users []string
	it := c.Scan(redactor.ScanOptions{Match: "example:scan:*", Type: "hash"})
	for it.Next(ctx) {
		users = append(users, it.Key())
	}
	if err := it.Err(); err != nil {
		fmt.Println(err)
		return
	}
	slices.Sort(users)
	fmt.Println(users)
	// Output:
	// [example:scan:ada example:scan:alan example:scan:grace]
}

// A scan cut short by its context goes on later from its cursor.
func ExampleScanIterator_Cursor() {
	ctx := context.Background()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1]})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	p := c.Pipeline()
	for i := range 100 {
		p.Do("SET", fmt.Sprint("example:cursor:", i), "v")
	}
	if _, err := p.Exec(ctx); err != nil {
		fmt.Println(err)
		return
	}

	keys := map[string]bool{}
	opts := redactor.ScanOptions{Match: "example:cursor:*", Count: 10}
	first, stop := context.WithCancel(ctx)
	defer stop()
	it := c.Scan(opts)
	for it.Next(first) {
		keys[it.Key()] = true
		if len(keys) == 20 {
			stop() // say, the request's deadline
		}
	}
	fmt.Println(len(keys), it.Err())

	opts.Cursor = it.Cursor() // an opaque string: store it, send it
	it = c.Scan(opts)
	for it.Next(ctx) {
		keys[it.Key()] = true
	}
	fmt.Println(len(keys), it.Err())
	// Output:
	// 20 redactor: scan: context canceled
	// 100 <nil>
}

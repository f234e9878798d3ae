package redactor_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redactor-go/redactor"
)

// incrBelow adds ARGV[1] to the counter KEYS[1] unless that would take it
// above ARGV[2].
var incrBelow = redactor.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n + tonumber(ARGV[1]) > tonumber(ARGV[2]) then
	return redis.error_reply('CAP reached')
end
return redis.call('INCRBY', KEYS[1], ARGV[1])`)

// A Script runs by its hash, in pipelines and alone; each call's Result is
// its own, in its place.
func ExampleScript() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()[:1]})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	counter := []string{"example:script:{7}:n"}
	c.Do(ctx, "DEL", counter[0])
	p := c.Pipeline()
	p.Run(incrBelow, counter, "4", "10")
	p.Run(incrBelow, counter, "4", "10")
	p.Run(incrBelow, counter, "4", "10") // fails on its own
	p.Do("GET", counter[0])
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
	fmt.Println(incrBelow.Run(ctx, c, counter, "1", "10").Value)
	// Output:
	// 4
	// 8
	// error: CAP
	// 8
	// 9
}

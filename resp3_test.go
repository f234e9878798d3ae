package redactor_test

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/actors"
)

// bigNumber is DEBUG PROTOCOL bignum's number.
const bigNumber = "1234567999999999999999999999999999999"

// debugProtocolWant is the Go value of each DEBUG PROTOCOL reply type, by
// protocol, as resp's package doc and the README's table say.
func debugProtocolWant(t *testing.T) map[string][2]any {
	t.Helper()
	n, ok := new(big.Int).SetString(bigNumber, 10)
	require.True(t, ok)
	ints := []any{int64(0), int64(1), int64(2)}
	return map[string][2]any{ // type: {RESP2, RESP3}
		"string":   {"Hello World", "Hello World"},
		"integer":  {int64(12345), int64(12345)},
		"double":   {"3.141", 3.141},
		"bignum":   {bigNumber, n},
		"null":     {nil, nil},
		"array":    {ints, ints},
		"set":      {ints, ints},
		"map":      {[]any{int64(0), int64(0), int64(1), int64(1), int64(2), int64(0)}, map[string]any{"0": false, "1": true, "2": false}},
		"attrib":   {"Some real reply following the attribute", "Some real reply following the attribute"},
		"push":     {nil, "Some real reply following the push reply"}, // RESP2: an error
		"verbatim": {"This is a verbatim\nstring", "This is a verbatim\nstring"},
		"true":     {int64(1), true},
		"false":    {int64(0), false},
	}
}

// pushCounter counts the actors.PushSkipped events of a client.
type pushCounter struct {
	mu     sync.Mutex
	events []*actors.PushSkipped
}

func countPushes(t *testing.T, c *redactor.Client) *pushCounter {
	pc := &pushCounter{}
	o := redactor.Observe(c, func(e *actors.PushSkipped) {
		pc.mu.Lock()
		pc.events = append(pc.events, e)
		pc.mu.Unlock()
	})
	t.Cleanup(o.Stop)
	return pc
}

func (pc *pushCounter) get() []*actors.PushSkipped {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return append([]*actors.PushSkipped(nil), pc.events...)
}

// TestRESP3DebugProtocol decodes every reply type DEBUG PROTOCOL makes a
// real node send, on each protocol, and compares it with the documented Go
// value: on the shared pipelined connection, in a pipeline, and on a
// dedicated connection (Watch). RESP3's push, a real push frame followed by
// the command's reply, is skipped and counted.
func TestRESP3DebugProtocol(t *testing.T) {
	want := debugProtocolWant(t)
	for _, protocol := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", protocol), func(t *testing.T) {
			ctx := testContext(t)
			c := newClient(t, redactor.Config{Protocol: protocol})
			pushes := countPushes(t, c)
			addr := c.Nodes()[0].Addr
			for typ, w := range want {
				r := c.DoOn(ctx, addr, "DEBUG", "PROTOCOL", typ)
				if protocol == 2 && typ == "push" {
					assert.ErrorContains(t, r.Err, "RESP2 is not supported", typ)
					continue
				}
				require.NoError(t, r.Err, typ)
				assert.Equal(t, w[protocol-2], r.Value, typ)
			}

			// All of them in one pipeline, each push between replies.
			p := c.Pipeline(redactor.WithNode(addr))
			var types []string
			for typ := range want {
				p.Do("DEBUG", "PROTOCOL", typ)
				types = append(types, typ)
			}
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			for i, typ := range types {
				if protocol == 2 && typ == "push" {
					assert.Error(t, results[i].Err)
					continue
				}
				assert.Equal(t, redactor.Result{Value: want[typ][protocol-2]}, results[i], typ)
			}

			// A dedicated connection: Watch's.
			k := "{" + t.Name() + "}"
			require.NoError(t, c.Watch(ctx, func(tx *redactor.Tx) error {
				for typ, w := range want {
					r := tx.Do(ctx, "DEBUG", "PROTOCOL", typ)
					if protocol == 2 && typ == "push" {
						assert.Error(t, r.Err)
						continue
					}
					assert.Equal(t, redactor.Result{Value: w[protocol-2]}, r, "Watch: %s", typ)
				}
				return nil
			}, k+"x"))

			if protocol == 2 {
				assert.Zero(t, c.SkippedPushes())
				assert.Empty(t, pushes.get())
				return
			}
			assert.Equal(t, uint64(3), c.SkippedPushes(), "one push per DEBUG PROTOCOL push")
			require.Eventually(t, func() bool { return len(pushes.get()) == 3 }, time.Second, time.Millisecond)
			events := pushes.get()
			for _, e := range events {
				assert.Equal(t, []any{"server-cpu-usage", int64(42)}, e.Push)
			}
			assert.Equal(t, addr, events[0].Addr)
		})
	}
}

// TestRESP3MixedPipeline runs a pipeline of many reply types over every
// master, a blocking command, fan-outs, a raw MULTI block, a WithTx
// pipeline, Watch and Scan on each protocol, and checks each value.
func TestRESP3MixedPipeline(t *testing.T) {
	for _, protocol := range []int{2, 3} {
		resp3 := protocol == 3
		pick := func(resp2, resp3Value any) any {
			if resp3 {
				return resp3Value
			}
			return resp2
		}
		t.Run(fmt.Sprintf("RESP%d", protocol), func(t *testing.T) {
			ctx := testContext(t)
			c := newClient(t, redactor.Config{Protocol: protocol})
			k := "{" + t.Name() + "}"

			p := c.Pipeline()
			p.Do("HSET", k+"h", "f1", "v1", "f2", "v2")
			p.Do("SADD", k+"s", "a", "b")
			p.Do("ZADD", k+"z", "1.5", "a", "2", "b")
			p.Do("HGETALL", k+"h")
			p.Do("SMEMBERS", k+"s")
			p.Do("ZSCORE", k+"z", "a")
			p.Do("ZRANGE", k+"z", "0", "-1", "WITHSCORES")
			p.Do("GET", k+"missing")
			p.Do("INCR", k+"n")
			p.Do("EXISTS", k+"h", k+"missing")
			p.Do("BLPOP", k+"list", "0.05")
			p.Do("DBSIZE")
			p.Do("INFO", "server")
			p.Do("MULTI")
			p.Do("INCR", k+"n")
			p.Do("ZSCORE", k+"z", "b")
			p.Do("GET", k+"missing")
			p.Do("HGETALL", k+"h")
			p.Do("EXEC")
			for i := range 30 { // keys on every master
				p.Do("SET", fmt.Sprintf("%s:spread:%d", t.Name(), i), "1")
			}
			p.Do("GET", t.Name()+":spread:7")
			p.Do("KEYS", t.Name()+":spread:*")
			p.Do("SCRIPT", "EXISTS", "0000000000000000000000000000000000000000")
			p.Do("MEMORY", "STATS")
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			for i, r := range results {
				require.NoError(t, r.Err, i)
			}
			hash := pick([]any{"f1", "v1", "f2", "v2"}, map[string]any{"f1": "v1", "f2": "v2"})
			assert.Equal(t, hash, results[3].Value, "HGETALL")
			assert.ElementsMatch(t, []any{"a", "b"}, results[4].Value, "SMEMBERS")
			assert.Equal(t, pick("1.5", 1.5), results[5].Value, "ZSCORE")
			assert.Equal(t, pick([]any{"a", "1.5", "b", "2"}, []any{[]any{"a", 1.5}, []any{"b", float64(2)}}), results[6].Value, "ZRANGE WITHSCORES")
			assert.Nil(t, results[7].Value, "GET missing")
			assert.Equal(t, int64(1), results[8].Value, "INCR")
			assert.Equal(t, int64(1), results[9].Value, "EXISTS")
			assert.Nil(t, results[10].Value, "BLPOP timed out")
			assert.IsType(t, int64(0), results[11].Value, "DBSIZE merged")
			info, ok := results[12].Value.(map[string]any)
			require.True(t, ok, "INFO merged by node: %T", results[12].Value)
			assert.Len(t, info, len(c.Nodes())/2)
			for addr, v := range info {
				assert.Contains(t, v, "redis_version:", addr)
			}
			assert.Equal(t, "OK", results[13].Value)
			for i := 14; i < 18; i++ {
				assert.Equal(t, "QUEUED", results[i].Value)
			}
			assert.Equal(t, []any{int64(2), pick("2", float64(2)), nil, hash}, results[18].Value, "EXEC")
			end := len(results) - 1
			assert.Equal(t, "1", results[end-3].Value)
			assert.Len(t, results[end-2].Value, 30, "KEYS concatenated")
			assert.Equal(t, []any{int64(0)}, results[end-1].Value, "SCRIPT EXISTS ANDed")
			stats, ok := results[end].Value.(map[string]any)
			require.True(t, ok, "MEMORY STATS merged by node: %T", results[end].Value)
			for addr, v := range stats {
				if resp3 {
					assert.IsType(t, map[string]any{}, v, addr)
				} else {
					assert.IsType(t, []any{}, v, addr)
				}
			}

			// WithTx: each command's own Result.
			txp := c.Pipeline(redactor.WithTx())
			txp.Do("INCR", k+"n")
			txp.Do("ZSCORE", k+"z", "a")
			txp.Do("HGETALL", k+"h")
			txp.Do("GET", k+"missing")
			tx, err := txp.Exec(ctx)
			require.NoError(t, err)
			assert.Equal(t, []redactor.Result{{Value: int64(3)}, {Value: pick("1.5", 1.5)}, {Value: hash}, {Value: nil}}, tx)

			// Watch: reads, an Exec, and an Exec a concurrent write aborts.
			err = c.Watch(ctx, func(tx *redactor.Tx) error {
				assert.Equal(t, redactor.Result{Value: pick("2", float64(2))}, tx.Do(ctx, "ZSCORE", k+"z", "b"))
				assert.Equal(t, redactor.Result{Value: hash}, tx.Do(ctx, "HGETALL", k+"h"))
				tx.Queue("ZINCRBY", k+"z", "1", "b")
				tx.Queue("GET", k+"missing")
				res, err := tx.Exec(ctx)
				assert.Equal(t, []redactor.Result{{Value: pick("3", float64(3))}, {Value: nil}}, res)
				return err
			}, k+"z")
			require.NoError(t, err)
			err = c.Watch(ctx, func(tx *redactor.Tx) error {
				require.NoError(t, c.Do(ctx, "INCR", k+"n").Err)
				tx.Queue("INCR", k+"n")
				_, err := tx.Exec(ctx)
				return err
			}, k+"n")
			assert.ErrorIs(t, err, redactor.ErrTxAborted)

			// Scan reads SCAN's replies, arrays in both.
			it := c.Scan(redactor.ScanOptions{Match: t.Name() + ":spread:*"})
			seen := map[string]bool{}
			for it.Next(ctx) {
				seen[it.Key()] = true
			}
			require.NoError(t, it.Err())
			assert.Len(t, seen, 30)

			// Subscriptions stay on RESP2, whose messages are arrays.
			sub, err := c.SSubscribe(ctx, k+"ch")
			require.NoError(t, err)
			defer sub.Close()
			require.Eventually(t, func() bool {
				n := c.Do(ctx, "SPUBLISH", k+"ch", "hello")
				require.NoError(t, n.Err)
				return n.Value == int64(1)
			}, 5*time.Second, 10*time.Millisecond)
			select {
			case m := <-sub.Messages():
				assert.Equal(t, "hello", m.Payload)
			case <-time.After(5 * time.Second):
				t.Fatal("no message")
			}
			assert.Zero(t, c.SkippedPushes())
		})
	}
}

// TestProtocolConfig refuses RESP versions other than 2 and 3 in New.
func TestProtocolConfig(t *testing.T) {
	tests := []struct {
		name     string
		protocol int
		wantErr  error
	}{
		{name: "default", protocol: 0},
		{name: "RESP2", protocol: 2},
		{name: "RESP3", protocol: 3},
		{name: "RESP1", protocol: 1, wantErr: redactor.ErrInvalidConfig},
		{name: "RESP4", protocol: 4, wantErr: redactor.ErrInvalidConfig},
		{name: "negative", protocol: -3, wantErr: redactor.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := redactor.New(testContext(t), redactor.Config{Addrs: cluster.Addrs()[:1], Protocol: tt.protocol})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.ErrorContains(t, err, "Protocol")
				return
			}
			require.NoError(t, err)
			defer c.Close()
			assert.NoError(t, c.Do(testContext(t), "PING").Err)
		})
	}
}

// helloRefuser is a connection to a real node that answers HELLO 3 itself,
// with reply, as a server without RESP3 would; everything else goes
// through.
type helloRefuser struct {
	net.Conn
	reply string

	mu      sync.Mutex
	pending []byte
	refused bool
}

var hello3 = []byte("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")

func (c *helloRefuser) Write(b []byte) (int, error) {
	if bytes.HasPrefix(b, hello3) {
		c.mu.Lock()
		c.pending = append(c.pending, c.reply...)
		c.refused = true
		c.mu.Unlock()
		return len(b), nil
	}
	return c.Conn.Write(b)
}

func (c *helloRefuser) Read(b []byte) (int, error) {
	c.mu.Lock()
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	return c.Conn.Read(b)
}

// TestRESP3Refused has the nodes answer HELLO 3 with an error: New fails
// with an error that says so and carries the server's reply.
func TestRESP3Refused(t *testing.T) {
	for _, reply := range []string{
		"-NOPROTO sorry, this protocol version is not supported\r\n",
		"-ERR unknown command 'HELLO', with args beginning with: '3' \r\n",
	} {
		t.Run(reply[1:8], func(t *testing.T) {
			dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
				var d net.Dialer
				nc, err := d.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &helloRefuser{Conn: nc, reply: reply}, nil
			}
			start := time.Now()
			_, err := redactor.New(testContext(t), redactor.Config{Addrs: cluster.Addrs()[:1], Protocol: 3, Dialer: dialer})
			require.Error(t, err)
			assert.Less(t, time.Since(start), 2*time.Second)
			assert.ErrorContains(t, err, "does not speak RESP3 (Config.Protocol 3)")
			var redisErr *redactor.RedisError
			require.ErrorAs(t, err, &redisErr)
			assert.Equal(t, reply[1:len(reply)-2], redisErr.Msg)

			// The same nodes on RESP2: no HELLO, no error.
			c, err := redactor.New(testContext(t), redactor.Config{Addrs: cluster.Addrs()[:1], Dialer: dialer})
			require.NoError(t, err)
			defer c.Close()
			assert.NoError(t, c.Do(testContext(t), "PING").Err)
		})
	}
}

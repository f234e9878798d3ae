package localcluster

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mediocregopher/radix/v4"
	"github.com/mediocregopher/radix/v4/resp/resp3"
	"github.com/stretchr/testify/require"
)

// keysInSlots returns n keys hashing to each of the slots.
func keysInSlots(slots []int, n int) map[int][]string {
	keys := make(map[int][]string, len(slots))
	for _, s := range slots {
		keys[s] = nil
	}
	for i, missing := 0, len(keys)*n; missing > 0; i++ {
		k := "key:" + strconv.Itoa(i)
		s := int(radix.ClusterSlot([]byte(k)))
		if ks, ok := keys[s]; ok && len(ks) < n {
			keys[s] = append(ks, k)
			missing--
		}
	}
	return keys
}

// dial opens a connection to addr, closed when the test ends.
func dial(t *testing.T, addr string) radix.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, err := radix.Dial(ctx, "tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// try sends one command on conn and returns its error, e.g. a MOVED reply.
func try(t *testing.T, conn radix.Conn, rcv any, args ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	return conn.Do(ctx, radix.Cmd(rcv, args[0], args[1:]...))
}

// tryAsking sends ASKING and then the command on conn, in one pipeline.
func tryAsking(t *testing.T, conn radix.Conn, rcv any, args ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	p := radix.NewPipeline()
	p.Append(radix.Cmd(nil, "ASKING"))
	p.Append(radix.Cmd(rcv, args[0], args[1:]...))
	return conn.Do(ctx, p)
}

// pipelineDo sends the commands on a fresh connection to addr in one pipeline,
// the reply of cmds[i] going into rcvs[i].
func pipelineDo(t *testing.T, addr string, rcvs []any, cmds [][]string) {
	t.Helper()
	conn := dial(t, addr)
	p := radix.NewPipeline()
	for i, c := range cmds {
		p.Append(radix.Cmd(rcvs[i], c[0], c[1:]...))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, conn.Do(ctx, p), "pipeline on %s", addr)
}

// redirection parses a MOVED or ASK error reply into its kind and target
// address; ok is false for any other error.
func redirection(err error) (kind, addr string, ok bool) {
	reply, isReply := asType[resp3.SimpleError](err)
	if !isReply {
		return "", "", false
	}
	f := strings.Fields(reply.S)
	if len(f) != 3 || (f[0] != "MOVED" && f[0] != "ASK") {
		return "", "", false
	}
	return f[0], f[2], true
}

// isTryAgain reports whether err is a TRYAGAIN error reply.
func isTryAgain(err error) bool {
	reply, ok := asType[resp3.SimpleError](err)
	return ok && strings.HasPrefix(reply.S, "TRYAGAIN")
}

// redirector is a minimal cluster client for one goroutine: it sends a
// command about one slot to the node it believes owns it and follows MOVED
// (updating its belief), ASK (ASKING, once) and TRYAGAIN (retry), counting
// each.
type redirector struct {
	conns                 map[string]radix.Conn
	owner                 map[int]string
	seed                  string
	moved, ask, tryAgains int
}

func newRedirector(seed string) *redirector {
	return &redirector{conns: map[string]radix.Conn{}, owner: map[int]string{}, seed: seed}
}

// do sends the command, about keys of slot, until it is served.
func (r *redirector) do(ctx context.Context, slot int, rcv any, args ...string) error {
	addr, asking := r.owner[slot], false
	if addr == "" {
		addr = r.seed
	}
	for range 100 {
		conn, err := r.conn(ctx, addr)
		if err != nil {
			return err
		}
		if asking {
			p := radix.NewPipeline()
			p.Append(radix.Cmd(nil, "ASKING"))
			p.Append(radix.Cmd(rcv, args[0], args[1:]...))
			err = conn.Do(ctx, p)
		} else {
			err = conn.Do(ctx, radix.Cmd(rcv, args[0], args[1:]...))
		}
		kind, target, isRedirect := redirection(err)
		switch {
		case err == nil:
			return nil
		case isRedirect && kind == "MOVED":
			r.moved++
			r.owner[slot], addr, asking = target, target, false
		case isRedirect:
			r.ask++
			addr, asking = target, true
		case isTryAgain(err):
			r.tryAgains++
			addr, asking = cmp.Or(r.owner[slot], r.seed), false
			time.Sleep(time.Millisecond)
		default:
			if _, isReply := asType[resp3.SimpleError](err); !isReply {
				_ = conn.Close()
				delete(r.conns, addr)
			}
			return fmt.Errorf("%v on %s: %w", args, addr, err)
		}
	}
	return fmt.Errorf("%v: too many redirections", args)
}

// conn returns the connection to addr, dialing it first if needed.
func (r *redirector) conn(ctx context.Context, addr string) (radix.Conn, error) {
	if conn, ok := r.conns[addr]; ok {
		return conn, nil
	}
	conn, err := radix.Dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	r.conns[addr] = conn
	return conn, nil
}

// close closes every connection.
func (r *redirector) close() {
	for _, conn := range r.conns {
		_ = conn.Close()
	}
}

// shards returns CLUSTER SHARDS of addr as sorted "start-end=master-id" items.
func shards(t *testing.T, addr string) []string {
	t.Helper()
	var reply []any
	do(t, addr, &reply, "CLUSTER", "SHARDS")
	var items []string
	for _, shard := range reply {
		fields := pairs(t, shard)
		var master string
		for _, n := range fields["nodes"].([]any) {
			nf := pairs(t, n)
			if text(nf["role"]) == "master" {
				master = text(nf["id"])
			}
		}
		slots := fields["slots"].([]any)
		for i := 0; i+1 < len(slots); i += 2 {
			items = append(items, fmt.Sprintf("%v-%v=%s", slots[i], slots[i+1], master))
		}
	}
	slices.Sort(items)
	return items
}

// pairs turns a flat RESP2 array of names and values into a map.
func pairs(t *testing.T, v any) map[string]any {
	t.Helper()
	a, ok := v.([]any)
	require.True(t, ok, "not an array: %#v", v)
	m := make(map[string]any, len(a)/2)
	for i := 0; i+1 < len(a); i += 2 {
		m[text(a[i])] = a[i+1]
	}
	return m
}

// text returns a string or []byte reply element as a string.
func text(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	}
	return fmt.Sprint(v)
}

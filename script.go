package redactor

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"sync"

	"github.com/redactor-go/redactor/topology"
)

// Script is a Lua script that runs by its SHA1 digest (EVALSHA), so that
// its body crosses the network once per node instead of once per call.
// Make one with NewScript (or NewReadOnlyScript), keep it for as long as
// the program runs, and run it with Script.Run or Pipeline.Run, from any
// number of goroutines and with any number of clients. The zero Script has
// no body: use NewScript.
//
// A call is routed by its keys like any command: every key must hash to
// one slot (use hash tags), or the call gets ErrCrossSlot without being
// sent. A call without keys runs on some master: in a pipeline the master
// of the command queued before it (or any), alone the next master in turn.
// Pass keys, or use WithNode, when it matters where it runs.
//
// # Loading, and order in a pipeline
//
// A Script remembers which nodes hold it (by address): those where a call
// of it sent as EVAL succeeded, and those Load loaded it on. A call for a
// node known to hold it goes as EVALSHA; a call for any other node goes as
// EVAL, which runs it and loads it there. So the first pipeline that runs
// a script on a node sends its body once, and no call ever waits for a
// separate SCRIPT LOAD. A call without keys may reach any master, so it
// goes as EVALSHA only once every master holds the script: the first such
// call loads it everywhere first (Load, once per Script, however many
// calls wait for it).
//
// A node may still lose the script behind the client's back: it restarted,
// someone ran SCRIPT FLUSH, a replica that never ran it was promoted. Its
// EVALSHA then answers NOSCRIPT, which proves it did not run, so the call
// is sent again as EVAL (routed by its keys again) and its Result is the
// script's, never the NOSCRIPT. Alone, that costs one more round trip. In
// a pipeline the re-sent calls run after the pipeline's other commands
// (in their own queue order), so a command queued after such a call may
// have run before it. That happens only to the calls already on their way
// when the loss shows: a NOSCRIPT makes the Script forget every node it
// knew held it, so the calls after go as EVAL, in order, until they have
// loaded it again. When the order matters even then, put the calls in a
// WithTx pipeline (or a MULTI ... EXEC block): a script in a transaction
// always goes as EVAL, because a NOSCRIPT inside EXEC could not be re-sent
// without breaking the transaction.
type Script struct {
	src, hash string
	// byHash and bySrc name the commands: EVALSHA and EVAL, or their _RO
	// forms for a read-only script.
	byHash, bySrc string

	mu sync.Mutex
	// known are the addresses of the nodes known to hold the script.
	known map[string]struct{}
	// loading, while not nil, is closed when the Load that a call without
	// keys started ends.
	loading chan struct{}
}

// NewScript returns the Script of the Lua source src, run with EVALSHA
// and EVAL.
func NewScript(src string) *Script {
	sum := sha1.Sum([]byte(src))
	return &Script{src: src, hash: hex.EncodeToString(sum[:]), byHash: "EVALSHA", bySrc: "EVAL"}
}

// NewReadOnlyScript returns the Script of the Lua source src, run with
// EVALSHA_RO and EVAL_RO (Redis 7): the server refuses the writes it
// tries, and the client may re-send a call whose connection broke before
// its reply, as it does for any read-only command.
func NewReadOnlyScript(src string) *Script {
	s := NewScript(src)
	s.byHash, s.bySrc = "EVALSHA_RO", "EVAL_RO"
	return s
}

// Hash returns the script's SHA1 digest, in lower-case hex, as EVALSHA and
// SCRIPT LOAD name it.
func (s *Script) Hash() string { return s.hash }

// Load loads the script on every node of c's cluster, masters and replicas
// (SCRIPT LOAD on each), so that from then on its calls go as EVALSHA
// everywhere, and a replica promoted later holds it too. It is optional:
// Run loads the script where it first runs. Its error joins those of the
// nodes that failed; the others count as holding the script.
func (s *Script) Load(ctx context.Context, c *Client) error {
	return c.ForEachNode(ctx, func(ctx context.Context, addr string) error {
		if r := c.DoOn(ctx, addr, "SCRIPT", "LOAD", s.src); r.Err != nil {
			return r.Err
		}
		s.remember(addr)
		return nil
	})
}

// Run runs the script once with keys and args on c's cluster, on the
// master of the keys' slot, and returns its Result: the script's reply, or
// its error (a *RedisError for redis.error_reply or a failed Lua call).
// See Script for when it is sent as EVALSHA or as EVAL.
func (s *Script) Run(ctx context.Context, c *Client, keys []string, args ...string) Result {
	addr, byHash := s.plan(ctx, c, "", keys)
	cmd := s.command(byHash, keys, args)
	r := c.Do(ctx, cmd[0], cmd[1:]...)
	if s.settle(addr, byHash, r) {
		cmd = s.command(false, keys, args)
		r = c.Do(ctx, cmd[0], cmd[1:]...)
		// Where it ran by the layout now: a MOVED may have come first.
		s.settle(target(c, "", keys), false, r)
	}
	return r
}

// plan says where one call goes (see target) and whether it goes as
// EVALSHA. A call without keys and without a node goes as EVALSHA once
// every master holds the script, which it has them load first when needed.
func (s *Script) plan(ctx context.Context, c *Client, node string, keys []string) (addr string, byHash bool) {
	addr = target(c, node, keys)
	if addr == "" && node == "" && len(keys) == 0 {
		return "", s.onEveryMaster(ctx, c)
	}
	return addr, s.holds(addr)
}

// target returns the address a call goes to: node, when named, else the
// master of its keys' slot by c's layout; "" without keys, or when no
// master serves the slot.
func target(c *Client, node string, keys []string) string {
	switch {
	case node != "":
		return node
	case len(keys) == 0:
		return ""
	}
	routes := c.routes.Load()
	if routes == nil {
		return ""
	}
	return routes.Map.Master(topology.Slot(keys[0]))
}

// command returns a call of the script: EVALSHA or EVAL, then the hash or
// the body, the number of keys, the keys and the arguments.
func (s *Script) command(byHash bool, keys, args []string) []string {
	cmd := make([]string, 0, 3+len(keys)+len(args))
	if byHash {
		cmd = append(cmd, s.byHash, s.hash)
	} else {
		cmd = append(cmd, s.bySrc, s.src)
	}
	cmd = append(cmd, strconv.Itoa(len(keys)))
	cmd = append(cmd, keys...)
	return append(cmd, args...)
}

// settle learns from the Result of one call that went to addr, and reports
// whether the call must be sent again as EVAL: it went as EVALSHA and got
// NOSCRIPT, so it did not run. A node then lost the script, and maybe
// others did with it (a restart, SCRIPT FLUSH): the Script forgets them
// all. An EVAL that succeeded loaded the script on addr. (An EVAL's error
// says nothing: the body may not have compiled.)
func (s *Script) settle(addr string, byHash bool, r Result) (resend bool) {
	if byHash {
		if re, ok := r.Err.(*RedisError); ok && re.IsNoScript() {
			s.forgetAll()
			return true
		}
		return false
	}
	if r.Err == nil && addr != "" {
		s.remember(addr)
	}
	return false
}

// holds reports whether the node at addr is known to hold the script.
func (s *Script) holds(addr string) bool {
	if addr == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.known[addr]
	return ok
}

// remember notes that the node at addr holds the script.
func (s *Script) remember(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known == nil {
		s.known = map[string]struct{}{}
	}
	s.known[addr] = struct{}{}
}

// forgetAll forgets every node known to hold the script.
func (s *Script) forgetAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.known)
}

// onEveryMaster reports whether every master of c's layout holds the
// script, after loading it on every node when one does not. Calls that
// arrive while a load runs wait for it (or for their ctx) instead of
// loading again.
func (s *Script) onEveryMaster(ctx context.Context, c *Client) bool {
	s.mu.Lock()
	if s.everyMasterLocked(c) {
		s.mu.Unlock()
		return true
	}
	if wait := s.loading; wait != nil {
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return false
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.everyMasterLocked(c)
	}
	done := make(chan struct{})
	s.loading = done
	s.mu.Unlock()
	// The nodes that loaded it count even when others failed; while a
	// master lacks it, the calls go as EVAL.
	_ = s.Load(ctx, c)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loading = nil
	close(done)
	return s.everyMasterLocked(c)
}

// everyMasterLocked reports whether every master of c's layout is known to
// hold the script. s.mu is held.
func (s *Script) everyMasterLocked(c *Client) bool {
	routes := c.routes.Load()
	if routes == nil || len(s.known) == 0 {
		return false
	}
	for _, shard := range routes.Map.Shards() {
		if _, ok := s.known[shard.Master]; !ok {
			return false
		}
	}
	return true
}

//go:build soak

package soak

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redactor-go/redactor"
)

// mixedKeys is how many keys each mixed-pipeline worker owns.
const mixedKeys = 2000

// mixed runs pipelines of 1 to 1,000 commands, parallel and serial, and
// checks that every reply is its command's: SET k v then GET k returns v,
// ECHO returns its payload, MGET of keys of several slots returns values of
// those keys. A GET that returns an older value of its key after its SET
// succeeded lost that SET: explained only by a crash failover.
type mixed struct {
	c       *redactor.Client
	crashes *crashLog
	counts  *counts
}

// work runs pipelines on the worker's own keys until stop.
func (m *mixed) work(ctx context.Context, stop <-chan struct{}, worker int, rng *rand.Rand) {
	keys := make([]string, mixedKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("soak:mixed:%d:%d", worker, i)
	}
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		m.pipeline(ctx, rng, keys, fmt.Sprintf("%d.%d", worker, seq))
	}
}

// cmd is one queued command and what its reply must be.
type cmd struct {
	kind  string // "SET", "GET", "ECHO", "MGET"
	key   string // SET, GET
	value string // SET, GET: the value set; ECHO: the payload
	keys  []string
	setOK *bool // GET: whether the SET before it succeeded
}

// pipeline sends one pipeline of 1 to 1,000 commands (log-uniform) and
// checks its replies.
func (m *mixed) pipeline(ctx context.Context, rng *rand.Rand, keys []string, id string) {
	n := int(math.Exp(rng.Float64() * math.Log(1000)))
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	p := m.c.Pipeline(redactor.WithParallel(rng.IntN(2) == 0))
	var cmds []cmd
	next := 0 // keys[next:] are unused in this pipeline
	for len(cmds) < n {
		switch r := rng.IntN(10); {
		case r < 6 && next < len(keys) && len(cmds)+2 <= n: // SET k v, GET k
			k := keys[next]
			next++
			v := k + "|" + id + "|" + strconv.Itoa(len(cmds)) + "|" + padding(rng)
			ok := new(bool)
			p.Do("SET", k, v)
			p.Do("GET", k)
			cmds = append(cmds, cmd{kind: "SET", key: k, value: v, setOK: ok}, cmd{kind: "GET", key: k, value: v, setOK: ok})
		case r < 8 && next+3 <= len(keys): // MGET of keys this pipeline does not write
			ks := keys[next : next+3]
			next += 3
			p.Do("MGET", ks...)
			cmds = append(cmds, cmd{kind: "MGET", keys: ks})
		default:
			v := "echo|" + id + "|" + strconv.Itoa(len(cmds)) + "|" + padding(rng)
			p.Do("ECHO", v)
			cmds = append(cmds, cmd{kind: "ECHO", value: v})
		}
	}
	begin := time.Now()
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	results, err := p.Exec(pctx)
	cancel()
	end := time.Now()
	if err != nil {
		m.counts.failed("pipeline", err)
		return
	}
	for i, c := range cmds {
		m.check(c, results[i], begin, end)
	}
	m.counts.op(len(cmds))
}

// padding returns 16 B to 4 KB of text, and 64 KB once in 100.
func padding(rng *rand.Rand) string {
	n := 16 + rng.IntN(4080)
	if rng.IntN(100) == 0 {
		n = 64 << 10
	}
	return strings.Repeat("x", n)
}

// check checks the reply of one command of a pipeline that ran from begin
// to end.
func (m *mixed) check(c cmd, r redactor.Result, begin, end time.Time) {
	if r.Err != nil {
		m.counts.failed(c.kind, r.Err)
		return
	}
	switch c.kind {
	case "SET":
		if r.Value != "OK" {
			m.counts.wrongf("SET %s: %v", c.key, short(r.Value))
			return
		}
		*c.setOK = true
	case "GET":
		v, ok := r.Value.(string)
		switch {
		case r.Value == nil && !*c.setOK:
		case r.Value == nil && m.crashes.explains(c.key, begin, end):
			m.counts.crashLostN(1)
		case r.Value == nil:
			m.counts.lostf("GET %s after its SET: nil", c.key)
		case !ok || !strings.HasPrefix(v, c.key+"|"):
			m.counts.wrongf("GET %s: %v", c.key, short(r.Value))
		case v == c.value || !*c.setOK:
		case m.crashes.explains(c.key, begin, end):
			m.counts.crashLostN(1)
		default:
			m.counts.lostf("GET %s after its SET: an older value %v", c.key, short(v))
		}
	case "ECHO":
		if r.Value != c.value {
			m.counts.wrongf("ECHO %v: %v", short(c.value), short(r.Value))
		}
	case "MGET":
		vs, ok := r.Value.([]any)
		if !ok || len(vs) != len(c.keys) {
			m.counts.wrongf("MGET %v: %v", c.keys, short(r.Value))
			return
		}
		for i, v := range vs {
			if s, ok := v.(string); v != nil && (!ok || !strings.HasPrefix(s, c.keys[i]+"|")) {
				m.counts.wrongf("MGET %v: value %d is %v", c.keys, i, short(v))
			}
		}
	}
}

// short describes a reply in at most 60 characters.
func short(v any) string {
	s := fmt.Sprintf("%T %v", v, v)
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

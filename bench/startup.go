package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"
)

// startup is how long a client took from its constructor to the end of its
// first pipeline of 100 commands on a cluster, and how much live heap it
// held then.
type startup struct {
	masters int
	client  string
	took    time.Duration
	heap    uint64
}

// measureStartups measures the startup of each client on e, one at a time.
func (b *bench) measureStartups(ctx context.Context, e *env) error {
	for _, name := range []string{nameRedactor, nameGoRedis, nameRueidis} {
		s, err := measureStartup(ctx, e, name, b.pipelineOps(rand.New(rand.NewPCG(3, 4)), 100))
		if err != nil {
			return err
		}
		b.startups = append(b.startups, s)
		logf("startup on %d masters: %-10s %s to the first pipeline, %s of live heap (%s per master)",
			s.masters, name, fmtDur(s.took), fmtBytes(s.heap), fmtBytes(s.heap/uint64(s.masters)))
	}
	return nil
}

// measureStartup connects one client and runs its first pipeline.
func measureStartup(ctx context.Context, e *env, name string, ops []op) (startup, error) {
	s := startup{masters: e.masters(), client: name}
	before := liveHeap()
	start := time.Now()
	c, closeIt, err := connectOne(ctx, e.seeds(), name)
	if err != nil {
		return s, err
	}
	defer closeIt()
	if err := c.pipeline(ctx, ops); err != nil {
		return s, err
	}
	s.took = time.Since(start)
	if after := liveHeap(); after > before {
		s.heap = after - before
	}
	return s, nil
}

// liveHeap returns the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// startupNote lists the startup measurements for the table's notes.
func (b *bench) startupNote() string {
	if len(b.startups) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.WriteString("startup (constructor to the end of the first 100-command pipeline; live heap then, per master):\n")
	for _, s := range b.startups {
		fmt.Fprintf(&sb, "  %3d masters  %-10s %9s  %8s (%s per master)\n", s.masters, s.client, fmtDur(s.took),
			fmtBytes(s.heap), fmtBytes(s.heap/uint64(s.masters)))
	}
	return strings.TrimRight(sb.String(), "\n")
}

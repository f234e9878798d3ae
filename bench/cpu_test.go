package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The CPU cost of one pipeline of 100 commands (half SET, half GET over
// random keys of all masters) for each client, against a local 3-master
// cluster without proxies:
//
//	go test -run xxx -bench . -benchmem
//
// The cluster is started by the first benchmark that needs it and stopped
// by TestMain.

var shared struct {
	once sync.Once
	env  *env
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.env != nil {
		if err := shared.env.close(); err != nil {
			fmt.Fprintln(os.Stderr, "stop cluster:", err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}

// benchEnv returns the shared direct 3-master cluster, starting it once.
func benchEnv(b *testing.B) *env {
	b.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shared.env, shared.err = startEnv(ctx, 3, false)
	})
	if shared.err != nil {
		b.Fatal(shared.err)
	}
	return shared.env
}

func BenchmarkPipeline100(b *testing.B) {
	const size = 100
	ctx := b.Context()
	cs, err := connect(ctx, benchEnv(b).seeds())
	if err != nil {
		b.Fatal(err)
	}
	defer cs.close()
	bn := newBench(config{pipeline: size})
	if err := bn.prepare(ctx, cs); err != nil {
		b.Fatal(err)
	}
	// The commands are made before the timing: only the clients' work and
	// allocations are measured.
	rng := rand.New(rand.NewPCG(1, 2))
	ops := make([][]op, 64)
	for i := range ops {
		ops[i] = bn.pipelineOps(rng, size)
	}
	for _, tc := range []struct{ name, client string }{
		{"redactor", nameRedactor}, {"goredis", nameGoRedis}, {"rueidis", nameRueidis},
	} {
		c := cs.only(tc.client)[0]
		b.Run(tc.name, func(b *testing.B) {
			for i := range 10 { // connections and pools up before the timing
				if err := c.pipeline(ctx, ops[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := 0; b.Loop(); i++ {
				if err := c.pipeline(ctx, ops[i%len(ops)]); err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*size), "allocs/command")
		})
	}
}

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"
)

const (
	// keyCount is the size of the key space; prepare stores every key.
	keyCount = 10_000
	// rttSamples is how many PINGs measure the round trip of one address.
	rttSamples = 200
	// throughputGoroutines and singleGoroutines are the callers of the
	// concurrent workloads.
	throughputGoroutines = 16
	singleGoroutines     = 200
	// concurrentSlice is a client's turn in the concurrent workloads;
	// growthSlice in the growth workload (long enough for a few pipelines of
	// 10,000 commands).
	concurrentSlice = 250 * time.Millisecond
	growthSlice     = 200 * time.Millisecond
)

// growthSizes are the pipeline sizes of the growth workload.
var growthSizes = []int{10, 100, 1_000, 10_000}

// growthMasters are the cluster sizes of the growth workload.
var growthMasters = []int{3, 9, 30, 100}

// bench runs the workloads and collects their measurements.
type bench struct {
	cfg     config
	keys    []string
	results []measurement
	// ceilingOps is what redis-benchmark got from the same masters (see
	// ceiling), or 0.
	ceilingOps float64
	// floor is the floor client's latency on the direct cluster (see
	// floorClient), or nil.
	floor *measurement
	// startups are the startup measurements of the growth clusters.
	startups []startup
}

// newBench makes the key space.
func newBench(cfg config) *bench {
	b := &bench{cfg: cfg, keys: make([]string, keyCount)}
	for i := range b.keys {
		b.keys[i] = fmt.Sprintf("bench:%05d", i)
	}
	return b
}

// logf reports progress on stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// pipelineOps returns n commands, half SET and half GET, alternating, over
// random keys: they spread over all masters.
func (b *bench) pipelineOps(rng *rand.Rand, n int) []op {
	ops := make([]op, n)
	for i := range ops {
		ops[i] = op{set: i%2 == 0, key: b.keys[rng.IntN(len(b.keys))]}
	}
	return ops
}

// prepare stores benchValue in every key, so that every GET finds it.
func (b *bench) prepare(ctx context.Context, cs *clients) error {
	const batch = 1_000
	for lo := 0; lo < len(b.keys); lo += batch {
		ops := make([]op, 0, batch)
		for _, k := range b.keys[lo:min(lo+batch, len(b.keys))] {
			ops = append(ops, op{set: true, key: k})
		}
		if err := cs.all[0].pipeline(ctx, ops); err != nil {
			return fmt.Errorf("prepare keys: %w", err)
		}
	}
	return nil
}

// warmUp runs a short unrecorded round of pipelines on every client, so
// that connections and pools exist before the timing starts.
func (b *bench) warmUp(ctx context.Context, cs []client, size int) error {
	w := sequentialRun{
		budget: min(b.cfg.duration/10, 200*time.Millisecond),
		ops:    func(rng *rand.Rand) []op { return b.pipelineOps(rng, size) },
	}
	_, err := w.run(ctx, cs)
	return err
}

// record turns the recorders into measurements like base, one per client.
func (b *bench) record(base measurement, cs []client, recs []*recorder) {
	for i, c := range cs {
		m := base
		m.client = c.name()
		recs[i].fill(&m)
		if m.delay != "" {
			m.cpu = 0 // the in-process proxies' CPU is in it too
		}
		b.results = append(b.results, m)
		logf("  %-16s p50 %-9s p99 %-9s %s ops/s  (%d calls)",
			m.client, fmtDur(m.p50), fmtDur(m.p99), fmtOps(m.opsPerSec()), m.samples)
	}
}

// latency runs sequential pipelines of cfg.pipeline commands. d is the
// injected delay, nil for the direct (unproxied) cluster.
func (b *bench) latency(ctx context.Context, e *env, cs *clients, d *delaySetting) error {
	base := measurement{workload: "latency", setting: "direct", masters: e.masters(),
		pipeline: b.cfg.pipeline, goroutines: 1}
	if d != nil {
		e.setDelay(*d)
		base.setting, base.delay = d.name, delayString(*d, e.masters())
	}
	rtt, err := e.rtt(ctx, rttSamples)
	if err != nil {
		return err
	}
	base.rtt = rtt
	logf("latency %s: rtt %s", base.setting, fmtRTT(rtt, strings.Contains(base.delay, "/")))
	if err := b.warmUp(ctx, cs.all, b.cfg.pipeline); err != nil {
		return err
	}
	list := cs.all
	if d == nil {
		// The floor takes its turns with the clients on the direct
		// cluster (floorClient).
		f, err := newFloor(ctx, e.seeds())
		if err != nil {
			return err
		}
		defer f.close()
		list = append(slices.Clip(list), f)
	}
	run := sequentialRun{
		budget: b.cfg.duration,
		ops:    func(rng *rand.Rand) []op { return b.pipelineOps(rng, b.cfg.pipeline) },
	}
	recs, err := run.run(ctx, list)
	if err != nil {
		return err
	}
	b.record(base, cs.all, recs[:len(cs.all)])
	if d == nil {
		floor := base
		floor.client = nameFloor
		recs[len(cs.all)].fill(&floor)
		b.floor = &floor
		logf("  %-16s p50 %-9s p99 %-9s (%d calls)", nameFloor, fmtDur(floor.p50), fmtDur(floor.p99), floor.samples)
	}
	return nil
}

// throughput runs throughputGoroutines callers of pipelines at once.
func (b *bench) throughput(ctx context.Context, e *env, cs *clients) error {
	base := measurement{workload: "throughput", setting: fmt.Sprintf("%d goroutines", throughputGoroutines),
		masters: e.masters(), pipeline: b.cfg.pipeline, goroutines: throughputGoroutines}
	var err error
	if base.rtt, err = e.rtt(ctx, rttSamples); err != nil {
		return err
	}
	logf("throughput: %d goroutines, pipelines of %d", throughputGoroutines, b.cfg.pipeline)
	if err := b.warmUp(ctx, cs.all, b.cfg.pipeline); err != nil {
		return err
	}
	run := concurrentRun{
		budget: b.cfg.duration, slice: concurrentSlice, goroutines: throughputGoroutines,
		call: func(ctx context.Context, c client, rng *rand.Rand, _ int) (int, error) {
			ops := b.pipelineOps(rng, b.cfg.pipeline)
			return len(ops), c.pipeline(ctx, ops)
		},
	}
	recs, err := run.run(ctx, cs.all)
	if err != nil {
		return err
	}
	b.record(base, cs.all, recs)
	return b.ceiling(ctx, e)
}

// single runs singleGoroutines callers of single GET and SET commands (half
// each). Serial and parallel redactor are the same for one command, so only
// the default runs.
func (b *bench) single(ctx context.Context, e *env, cs *clients) error {
	base := measurement{workload: "single", setting: fmt.Sprintf("%d goroutines", singleGoroutines),
		masters: e.masters(), pipeline: 1, goroutines: singleGoroutines}
	var err error
	if base.rtt, err = e.rtt(ctx, rttSamples); err != nil {
		return err
	}
	list := cs.only(nameRedactor, nameGoRedis, nameGoRedisTuned, nameRueidis)
	logf("single: %d goroutines of single GET/SET", singleGoroutines)
	if err := b.warmUp(ctx, list, 1); err != nil {
		return err
	}
	run := concurrentRun{
		budget: b.cfg.duration, slice: concurrentSlice, goroutines: singleGoroutines,
		call: func(ctx context.Context, c client, rng *rand.Rand, _ int) (int, error) {
			return 1, c.do(ctx, op{set: rng.IntN(2) == 0, key: b.keys[rng.IntN(len(b.keys))]})
		},
	}
	recs, err := run.run(ctx, list)
	if err != nil {
		return err
	}
	b.record(base, list, recs)
	return nil
}

// growth runs sequential pipelines of each size in sizes on e's cluster,
// and measures the process CPU time per command.
func (b *bench) growth(ctx context.Context, e *env, cs *clients, sizes []int) error {
	rtt, err := e.rtt(ctx, rttSamples)
	if err != nil {
		return err
	}
	for _, size := range sizes {
		base := measurement{workload: "growth", masters: e.masters(), pipeline: size, goroutines: 1, rtt: rtt,
			setting: fmt.Sprintf("%d masters, %d cmds", e.masters(), size)}
		logf("growth: %s", base.setting)
		if err := b.warmUp(ctx, cs.all, size); err != nil {
			return err
		}
		run := sequentialRun{
			budget: b.cfg.duration, slice: growthSlice,
			ops: func(rng *rand.Rand) []op { return b.pipelineOps(rng, size) },
		}
		recs, err := run.run(ctx, cs.all)
		if err != nil {
			return err
		}
		b.record(base, cs.all, recs)
	}
	return nil
}

// delayString describes the delays of d on a cluster of masters.
func delayString(d delaySetting, masters int) string {
	parts := make([]string, min(len(d.delays), masters))
	for i := range parts {
		parts[i] = d.of(i).String()
	}
	return strings.Join(parts, "/")
}

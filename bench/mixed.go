package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
)

// The mixed workload is what a service sends rather than what flatters a
// client: 16 goroutines, each running pipelines of 1 to 1,000 commands that
// SET values of 16 bytes to 256 KB (or 1 MB) under keys of its own and GET
// them back in the same pipeline, every reply checked.

// weighted is one choice of a distribution and its weight.
type weighted struct {
	value, weight int
}

// mixedSizes are the pipeline sizes, by weight: most pipelines are small,
// a few are large.
var mixedSizes = []weighted{{1, 25}, {10, 35}, {100, 30}, {1_000, 10}}

// mixedValues are the SET value sizes, by weight (by count: mostly small),
// for the 256 KB and the 1 MB variant. By bytes, the values of 16 KB or more
// are most of the payload (see mixedLargeShare).
var mixedValues = map[string][]weighted{
	"256KB": {{16, 50}, {64, 20}, {512, 15}, {4 << 10, 10}, {16 << 10, 4}, {256 << 10, 1}},
	"1MB":   {{16, 50}, {64, 20}, {512, 15}, {4 << 10, 10}, {16 << 10, 4}, {1 << 20, 1}},
}

// mixedVariants are the value distributions the mixed workload runs, in
// order.
var mixedVariants = []string{"256KB", "1MB"}

// pick draws a value of ws by weight.
func pick(rng *rand.Rand, ws []weighted) int {
	total := 0
	for _, w := range ws {
		total += w.weight
	}
	n := rng.IntN(total)
	for _, w := range ws {
		if n < w.weight {
			return w.value
		}
		n -= w.weight
	}
	return ws[len(ws)-1].value
}

// mixedLargeShare returns the share of the payload's bytes in values of 16
// KB or more, expected from the weights.
func mixedLargeShare(ws []weighted) float64 {
	var all, large float64
	for _, w := range ws {
		b := float64(w.value * w.weight)
		all += b
		if w.value >= 16<<10 {
			large += b
		}
	}
	return large / all
}

// describeWeights says the weights for the table's notes.
func describeWeights(ws []weighted, unit func(int) string) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("%s:%d", unit(w.value), w.weight)
	}
	return strings.Join(parts, " ")
}

// byteSize formats a size in bytes.
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// valuePool holds a few distinct values of every size, so that a GET that
// returned another SET's value is caught.
type valuePool map[int][]string

func newValuePool(ws []weighted) valuePool {
	p := valuePool{}
	for _, w := range ws {
		for v := range 4 {
			head := fmt.Sprintf("v%d-%d:", w.value, v)
			p[w.value] = append(p[w.value], head+strings.Repeat(string(rune('a'+v)), max(w.value-len(head), 0)))
		}
	}
	return p
}

// mixedOps returns the commands of one pipeline of goroutine g: n/2 SETs
// (at least one) of random sizes under keys of g's own, then GETs of the
// same keys, and the bytes of values they move.
func mixedOps(rng *rand.Rand, g int, ws []weighted, pool valuePool) ([]op, uint64) {
	n := pick(rng, mixedSizes)
	sets := max(n/2, n-n/2)
	ops := make([]op, 0, n)
	var payload uint64
	for i := range sets {
		size := pick(rng, ws)
		v := pool[size][rng.IntN(len(pool[size]))]
		ops = append(ops, op{set: true, key: fmt.Sprintf("mixed:%d:%d", g, i), value: v})
		payload += uint64(len(v))
	}
	for i := range n - sets {
		o := ops[i]
		o.set = false
		ops = append(ops, o)
		payload += uint64(len(o.value))
	}
	return ops, payload
}

// mixed runs the mixed workload, interleaved, for each value variant.
func (b *bench) mixed(ctx context.Context, e *env, cs *clients) error {
	for _, variant := range mixedVariants {
		ws := mixedValues[variant]
		pool := newValuePool(ws)
		base := measurement{workload: "mixed", setting: "values to " + variant, masters: e.masters(),
			goroutines: throughputGoroutines}
		var err error
		if base.rtt, err = e.rtt(ctx, rttSamples); err != nil {
			return err
		}
		logf("mixed, values to %s: %d goroutines; pipeline sizes %s; value sizes %s (%.0f%% of the bytes in values of 16KB or more)",
			variant, throughputGoroutines, describeWeights(mixedSizes, func(n int) string { return fmt.Sprint(n) }),
			describeWeights(ws, byteSize), 100*mixedLargeShare(ws))
		payloads := map[string]*atomic.Uint64{}
		for _, c := range cs.all {
			payloads[c.name()] = &atomic.Uint64{}
		}
		run := concurrentRun{
			budget: b.cfg.duration, slice: concurrentSlice, goroutines: throughputGoroutines,
			call: func(ctx context.Context, c client, rng *rand.Rand, g int) (int, error) {
				ops, payload := mixedOps(rng, g, ws, pool)
				payloads[c.name()].Add(payload)
				return len(ops), c.pipeline(ctx, ops)
			},
		}
		recs, err := run.run(ctx, cs.all)
		if err != nil {
			return err
		}
		for i, c := range cs.all {
			recs[i].payload = payloads[c.name()].Load()
		}
		b.record(base, cs.all, recs)
	}
	return nil
}

// mixedHeap measures, for each value variant, the peak heap of each client
// running the mixed workload alone in a process of its own (this program,
// started again with -child), so that no other client's garbage counts.
func (b *bench) mixedHeap(ctx context.Context, e *env) error {
	for _, variant := range mixedVariants {
		base := measurement{workload: "mixed-heap", setting: "values to " + variant, masters: e.masters(),
			goroutines: throughputGoroutines}
		logf("mixed-heap, values to %s: each client alone in a process", variant)
		for _, name := range []string{nameRedactor, nameGoRedis, nameGoRedisTuned, nameRueidis} {
			m, err := runChild(ctx, childConfig{client: name, variant: variant, seeds: e.seeds(), duration: b.cfg.duration})
			if err != nil {
				return err
			}
			m.workload, m.setting, m.masters, m.goroutines = base.workload, base.setting, base.masters, base.goroutines
			b.results = append(b.results, m)
			logf("  %-16s peak heap %s, %.2f bytes allocated per byte of payload, %s ops/s",
				name, byteSize(int(m.peakHeap)), m.allocPerPayload(), fmtOps(m.opsPerSec()))
		}
	}
	return nil
}

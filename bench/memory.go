package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// The memory workload runs each client alone in a process of its own (this
// program, started again with -child-workload memory) and measures what its
// heap holds:
//
//   - one pipeline of memoryCommands SETs of values of 16 to 64 bytes, then
//     one pipeline of memoryCommands GETs reading them back: the peak heap
//     above what the process held before (the commands' keys and values are
//     built before, and count in neither);
//   - the GET pipeline keeping every memoryKeepEvery-th value it read (as
//     the string the client returns) and dropping the rest: after a GC, the
//     heap retained per byte of the values kept;
//   - one SET and one GET of a value of memoryLargeValue bytes: the peak
//     heap and the bytes allocated, per byte of the value.

// Sizes of the memory workload.
const (
	memoryCommands   = 1_000_000
	memoryKeepEvery  = 100
	memoryMinValue   = 16
	memoryMaxValue   = 64
	memoryLargeValue = 100 << 20
)

// memorySteps are the steps of the memory workload, in order: the name a
// child prints, and the setting the table shows.
var memorySteps = []struct{ name, setting string }{
	{"set", "1M SET pipeline (16-64B values)"},
	{"get", "1M GET pipeline of them"},
	{"keep", "keep 1% of 1M GET replies"},
	{"set-large", "SET of one 100MB value"},
	{"get-large", "GET of one 100MB value"},
}

// memoryResultPrefix starts each line a memory child prints a step on.
const memoryResultPrefix = "memory-result"

// memory runs the memory workload for redactor, go-redis and rueidis.
func (b *bench) memory(ctx context.Context, e *env) error {
	logf("memory: each client alone in a process; %d-command SET and GET pipelines (values %d-%dB), keeping 1 GET reply in %d; a %s value",
		memoryCommands, memoryMinValue, memoryMaxValue, memoryKeepEvery, byteSize(memoryLargeValue))
	for _, name := range []string{nameRedactor, nameGoRedis, nameRueidis} {
		cmd := childConfig{client: name, workload: "memory", seeds: e.seeds(), duration: b.cfg.duration}
		ms, err := runMemoryChild(ctx, cmd)
		if err != nil {
			return err
		}
		for _, m := range ms {
			m.masters = e.masters()
			b.results = append(b.results, m)
			logf("  %-10s %-34s peak heap %8s (%.2f per payload byte), allocated %.2f per payload byte, retained %.2f per kept byte",
				name, m.setting, fmtBytes(m.peakHeap), m.heapPerPayload(), m.allocPerPayload(), m.retainedPerKept())
		}
	}
	return nil
}

// runMemoryChild runs a memory child and reads back its steps.
func runMemoryChild(ctx context.Context, cfg childConfig) ([]measurement, error) {
	cmd := execChild(ctx, cfg)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("memory child %s: %w", cfg.client, err)
	}
	var ms []measurement
	for line := range strings.SplitSeq(string(out), "\n") {
		rest, ok := strings.CutPrefix(line, memoryResultPrefix+" ")
		if !ok {
			continue
		}
		m := measurement{workload: "memory", client: cfg.client, pipeline: memoryCommands}
		for field := range strings.FieldsSeq(rest) {
			k, v, _ := strings.Cut(field, "=")
			if k == "step" {
				for _, s := range memorySteps {
					if s.name == v {
						m.setting = s.setting
					}
				}
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("memory child %s: %q: %w", cfg.client, field, err)
			}
			switch k {
			case "peak":
				m.peakHeap = n
			case "allocated":
				m.allocated = n
			case "payload":
				m.payload = n
			case "retained":
				m.retained = n
			}
		}
		ms = append(ms, m)
	}
	if len(ms) != len(memorySteps) {
		return nil, fmt.Errorf("memory child %s printed %d steps, want %d", cfg.client, len(ms), len(memorySteps))
	}
	return ms, nil
}

// heapObjects returns the bytes of heap objects, live or not yet swept.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// settledHeap returns the heap objects after two full collections (the
// second empties what the first left in the sync.Pools' victim caches),
// measured as the peaks are.
func settledHeap() uint64 {
	runtime.GC()
	runtime.GC()
	return heapObjects()
}

// peakSampler samples the heap every millisecond until stopped.
type peakSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

// startPeak starts sampling.
func startPeak() *peakSampler {
	p := &peakSampler{stop: make(chan struct{})}
	p.peak.Store(heapObjects())
	p.wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := heapObjects(); v > p.peak.Load() {
				p.peak.Store(v)
			}
			select {
			case <-t.C:
			case <-p.stop:
				return
			}
		}
	})
	return p
}

// end stops sampling and returns the peak, a last sample included.
func (p *peakSampler) end() uint64 {
	close(p.stop)
	p.wg.Wait()
	return max(p.peak.Load(), heapObjects())
}

// memoryStep measures f: the peak heap above the live heap before it, and
// the bytes it allocated; it prints them with payload.
func memoryStep(name string, payload uint64, f func() error) error {
	base := settledHeap()
	alloc0 := allocated()
	p := startPeak()
	err := f()
	peak := p.end()
	alloc := allocated() - alloc0
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Printf("%s step=%s peak=%d allocated=%d payload=%d\n", memoryResultPrefix, name, peak-min(peak, base), alloc, payload)
	return nil
}

// memoryValue returns the value of key i of the memory workload.
func memoryValue(i int) string {
	const all = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/"
	n := memoryMinValue + i%(memoryMaxValue-memoryMinValue+1)
	return all[:n]
}

// runMemoryAsChild is the memory child's main: it runs the steps of the
// memory workload with one client and prints one line per step.
func runMemoryAsChild(ctx context.Context, cfg childConfig) error {
	if cfg.memProfile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			if f, err := os.Create(cfg.memProfile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	c, closeClient, err := connectOne(ctx, cfg.seeds, cfg.client)
	if err != nil {
		return err
	}
	defer closeClient()

	sets := make([]op, memoryCommands)
	keys := make([]string, memoryCommands)
	var payload uint64
	for i := range sets {
		keys[i] = "mem:" + strconv.Itoa(i)
		sets[i] = op{set: true, key: keys[i], value: memoryValue(i)}
		payload += uint64(len(sets[i].value))
	}
	if err := memoryStep("set", payload, func() error { return c.pipeline(ctx, sets) }); err != nil {
		return err
	}

	kept := make([]string, 0, memoryCommands/memoryKeepEvery+1)
	base := settledHeap()
	if err := memoryStep("get", payload, func() error {
		var err error
		kept, err = getKeeping(ctx, c, keys, kept)
		return err
	}); err != nil {
		return err
	}
	after := settledHeap()
	retained := after - min(base, after)
	var keptBytes uint64
	for _, v := range kept {
		keptBytes += uint64(len(v))
	}
	fmt.Printf("%s step=keep retained=%d payload=%d\n", memoryResultPrefix, retained, keptBytes)
	// The keys and commands count in both base and after.
	runtime.KeepAlive(kept)
	runtime.KeepAlive(keys)
	runtime.KeepAlive(sets)

	large := strings.Repeat("0123456789abcdef", memoryLargeValue/16)
	big := op{set: true, key: "mem:large", value: large}
	if err := memoryStep("set-large", memoryLargeValue, func() error { return c.do(ctx, big) }); err != nil {
		return err
	}
	big.set = false
	if err := memoryStep("get-large", memoryLargeValue, func() error { return c.do(ctx, big) }); err != nil {
		return err
	}
	return nil
}

// getKeeping GETs keys in one pipeline, checks every value, and appends
// every memoryKeepEvery-th one, as the client returned it, to kept.
func getKeeping(ctx context.Context, c client, keys []string, kept []string) ([]string, error) {
	keep := func(i int, v string) error {
		if want := memoryValue(i); v != want {
			return fmt.Errorf("GET %s: got %q, want %q", keys[i], v, want)
		}
		if i%memoryKeepEvery == 0 {
			kept = append(kept, v)
		}
		return nil
	}
	switch c := c.(type) {
	case redactorClient:
		p := c.c.Pipeline()
		for _, k := range keys {
			p.Do("GET", k)
		}
		results, err := p.Exec(ctx)
		if err != nil {
			return nil, err
		}
		for i, r := range results {
			s, err := r.Text()
			if err == nil {
				err = keep(i, s)
			}
			if err != nil {
				return nil, err
			}
		}
	case goRedisClient:
		pipe := c.c.Pipeline()
		for _, k := range keys {
			pipe.Get(ctx, k)
		}
		cmds, err := pipe.Exec(ctx)
		if err != nil {
			return nil, err
		}
		for i, cmd := range cmds {
			s, err := cmd.(interface{ Result() (string, error) }).Result()
			if err == nil {
				err = keep(i, s)
			}
			if err != nil {
				return nil, err
			}
		}
	case rueidisClient:
		cmds := make(rueidis.Commands, len(keys))
		for i, k := range keys {
			cmds[i] = c.c.B().Get().Key(k).Build()
		}
		for i, res := range c.c.DoMulti(ctx, cmds...) {
			s, err := res.ToString()
			if err == nil {
				err = keep(i, s)
			}
			if err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("memory: no GET pipeline for %s", c.name())
	}
	return kept, nil
}

// heapPerPayload returns the peak heap per byte of payload, or 0.
func (m measurement) heapPerPayload() float64 {
	if m.payload == 0 {
		return 0
	}
	return float64(m.peakHeap) / float64(m.payload)
}

// retainedPerKept returns the heap retained per byte of the values kept, or
// 0.
func (m measurement) retainedPerKept() float64 {
	if m.payload == 0 {
		return 0
	}
	return float64(m.retained) / float64(m.payload)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// childConfig is what a child process (-child) runs: one client, alone, on
// the mixed workload.
type childConfig struct {
	client string
	// workload is what the child runs: "mixed" (or empty), or "memory".
	workload string
	variant  string
	seeds    []string
	duration time.Duration
	// cpuProfile and memProfile, when set, are where the child writes a
	// CPU profile and an allocation profile.
	cpuProfile, memProfile string
}

// args returns the command line that starts the child.
func (c childConfig) args() []string {
	return []string{"-child", c.client, "-child-workload", c.workload, "-child-values", c.variant,
		"-child-seeds", strings.Join(c.seeds, ","), "-duration", c.duration.String()}
}

// execChild returns the command that runs the child, its errors going to
// this process's.
func execChild(ctx context.Context, cfg childConfig) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], cfg.args()...)
	cmd.Stderr = os.Stderr
	return cmd
}

// runChild runs this program again as a child process and reads back its
// measurement.
func runChild(ctx context.Context, cfg childConfig) (measurement, error) {
	out, err := execChild(ctx, cfg).Output()
	if err != nil {
		return measurement{}, fmt.Errorf("child %s: %w", cfg.client, err)
	}
	return parseChildResult(cfg.client, string(out))
}

// childResultPrefix starts the line a child prints its measurement on.
const childResultPrefix = "child-result"

// runAsChild is the child's main: it runs the mixed workload with one
// client for the duration, sampling the heap, and prints the result.
func runAsChild(ctx context.Context, cfg childConfig) error {
	if cfg.workload == "memory" {
		return runMemoryAsChild(ctx, cfg)
	}
	ws, ok := mixedValues[cfg.variant]
	if !ok {
		return fmt.Errorf("-child-values %q: unknown", cfg.variant)
	}
	cs, err := connect(ctx, cfg.seeds)
	if err != nil {
		return err
	}
	defer cs.close()
	list := cs.only(cfg.client)
	if len(list) != 1 {
		return fmt.Errorf("-child %q: unknown client", cfg.client)
	}
	c := list[0]
	pool := newValuePool(ws)

	var peak atomic.Uint64
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-t.C:
			case <-stopSampling:
				return
			}
		}
	})

	if cfg.memProfile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			if f, err := os.Create(cfg.memProfile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var commands, payload atomic.Uint64
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	start, alloc0, cpu0 := time.Now(), allocated(), cpuTime()
	var wg sync.WaitGroup
	for g := range throughputGoroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(7, uint64(g)))
			for runCtx.Err() == nil && time.Since(start) < cfg.duration {
				ops, p := mixedOps(rng, g, ws, pool)
				if err := c.pipeline(runCtx, ops); err != nil {
					cancel(err)
					return
				}
				commands.Add(uint64(len(ops)))
				payload.Add(p)
			}
		})
	}
	wg.Wait()
	elapsed, alloc, cpu := time.Since(start), allocated()-alloc0, cpuTime()-cpu0
	close(stopSampling)
	sampler.Wait()
	if err := context.Cause(runCtx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Printf("%s peak=%d commands=%d payload=%d allocated=%d seconds=%f cpu=%d\n",
		childResultPrefix, peak.Load(), commands.Load(), payload.Load(), alloc, elapsed.Seconds(), cpu)
	return nil
}

// parseChildResult reads the line a child printed.
func parseChildResult(client, out string) (measurement, error) {
	m := measurement{client: client}
	for line := range strings.SplitSeq(out, "\n") {
		rest, ok := strings.CutPrefix(line, childResultPrefix+" ")
		if !ok {
			continue
		}
		for field := range strings.FieldsSeq(rest) {
			k, v, _ := strings.Cut(field, "=")
			var err error
			switch k {
			case "peak":
				m.peakHeap, err = strconv.ParseUint(v, 10, 64)
			case "commands":
				var n uint64
				n, err = strconv.ParseUint(v, 10, 64)
				m.commands = int64(n)
			case "payload":
				m.payload, err = strconv.ParseUint(v, 10, 64)
			case "allocated":
				m.allocated, err = strconv.ParseUint(v, 10, 64)
			case "cpu":
				var ns int64
				ns, err = strconv.ParseInt(v, 10, 64)
				m.cpu = time.Duration(ns)
			case "seconds":
				var s float64
				s, err = strconv.ParseFloat(v, 64)
				m.elapsed = time.Duration(s * float64(time.Second))
			}
			if err != nil {
				return m, fmt.Errorf("child %s: %q: %w", client, field, err)
			}
		}
		return m, nil
	}
	return m, fmt.Errorf("child %s printed no result", client)
}

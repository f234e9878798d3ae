// Command bench compares redactor with go-redis and rueidis on local Redis
// Clusters it starts itself, with a delaying proxy in front of every master
// for the latency workload. See docs/benchmarks.md for the method.
//
//	cd bench && go run . -workload all -csv results.csv -svg ../docs/latency.svg
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if cfg.child != nil {
		err = runAsChild(ctx, *cfg.child)
	} else {
		err = run(ctx, cfg)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run runs the chosen workloads, prints the table and writes the files.
// Whatever it started is stopped before it returns, also on error or
// interrupt; the table of what was measured is printed even then.
func run(ctx context.Context, cfg config) (err error) {
	b := newBench(cfg)
	began, loadBefore := time.Now(), loadAverage()
	defer func() {
		if len(b.results) == 0 {
			return
		}
		fmt.Println()
		fmt.Println(environment(cfg, time.Since(began), loadBefore))
		fmt.Println()
		writeTable(os.Stdout, b.results)
		if note := b.ceilingNote(); note != "" {
			fmt.Println(note)
		}
		if note := b.floorNote(); note != "" {
			fmt.Println(note)
		}
		if note := b.startupNote(); note != "" {
			fmt.Println(note)
		}
		if err != nil {
			return
		}
		if cfg.csvPath != "" {
			err = errors.Join(err, writeCSV(cfg.csvPath, b.results))
		}
		if cfg.svgPath != "" {
			err = errors.Join(err, writeSVG(cfg.svgPath, b.results, cfg.pipeline, cfg.masters))
		}
	}()
	has := func(w string) bool { return slices.Contains(cfg.workloads, w) }

	// The direct cluster: the latency workload's "direct" row, and every
	// workload that measures the clients' CPU rather than the network.
	err = b.withEnv(ctx, cfg.masters, false, func(e *env, cs *clients) error {
		if has("latency") {
			if err := b.latency(ctx, e, cs, nil); err != nil {
				return err
			}
		}
		if has("throughput") {
			if err := b.throughput(ctx, e, cs); err != nil {
				return err
			}
		}
		if has("single") {
			if err := b.single(ctx, e, cs); err != nil {
				return err
			}
		}
		if has("mixed") {
			if err := b.mixed(ctx, e, cs); err != nil {
				return err
			}
		}
		if has("hol") {
			if err := b.hol(ctx, e, cs); err != nil {
				return err
			}
		}
		if has("mixed-heap") {
			if err := b.mixedHeap(ctx, e); err != nil {
				return err
			}
		}
		if has("memory") {
			if err := b.memory(ctx, e); err != nil {
				return err
			}
		}
		if has("growth") {
			sizes := growthSizes
			if !slices.Contains(sizes, cfg.pipeline) {
				sizes = append(slices.Clone(sizes), cfg.pipeline)
			}
			return b.growth(ctx, e, cs, sizes)
		}
		return nil
	})
	if err != nil {
		return err
	}

	// The proxied cluster: the latency workload at every injected delay.
	if has("latency") {
		err = b.withEnv(ctx, cfg.masters, true, func(e *env, cs *clients) error {
			for _, d := range cfg.delays {
				if err := b.latency(ctx, e, cs, &d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}

	// Larger (and smaller) clusters, one after another.
	if has("growth") {
		for _, m := range growthMasters {
			if m == cfg.masters {
				continue
			}
			err = b.withEnv(ctx, m, false, func(e *env, cs *clients) error {
				if m >= 30 {
					if err := b.measureStartups(ctx, e); err != nil {
						return err
					}
				}
				return b.growth(ctx, e, cs, []int{cfg.pipeline})
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// withEnv starts a cluster (proxied or not), connects the clients, stores
// the keys, runs f and stops everything again, whatever happens.
func (b *bench) withEnv(ctx context.Context, masters int, proxied bool, f func(*env, *clients) error) (err error) {
	kind := "direct"
	if proxied {
		kind = "proxied"
	}
	logf("starting a %d-master cluster (%s)", masters, kind)
	e, err := startEnv(ctx, masters, proxied)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, e.close()) }()
	if err := e.settle(ctx); err != nil {
		return err
	}
	cs, err := connect(ctx, e.seeds())
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, cs.close()) }()
	if err := b.prepare(ctx, cs); err != nil {
		return err
	}
	return f(e, cs)
}

// loadAverage returns the 1-minute load average of the machine, or "?".
// Other jobs on the machine disturb the numbers; a load well above the
// benchmark's own (about 2 on 2 CPUs) says so.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// environment describes the machine and the versions measured.
func environment(cfg config, took time.Duration, loadBefore string) string {
	versions := map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			versions[d.Path] = d.Version
		}
	}
	server := "redis-server ?"
	if out, err := exec.Command("redis-server", "--version").Output(); err == nil {
		server = strings.Join(strings.Fields(string(out))[:3], " ")
	}
	return fmt.Sprintf("%s, GOMAXPROCS %d, %d CPUs, %s; go-redis %s, rueidis %s\n"+
		"duration %s per client and setting; run took %s; load average %s before, %s after",
		runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), server,
		versions["github.com/redis/go-redis/v9"], versions["github.com/redis/rueidis"],
		cfg.duration, took.Round(time.Second), loadBefore, loadAverage())
}

// Command serial-vs-parallel shows what parallel pipelines buy as a cluster
// grows: it prints the median (p50) latency of a 100-command pipeline sent
// serially (one node batch after another) and in parallel (all node batches
// at once), and their ratio, for clusters of 1 to -max-masters masters.
//
// With no flags it starts each of those clusters itself (redis-server must
// be installed), with a proxy in front of every master that adds -delay of
// one-way latency, as a network would; the masters announce the proxies,
// so the client only talks through them. A serial pipeline then takes about
// one round trip per master, a parallel one about one in all. With -addrs
// it measures your cluster as it is: one row.
//
//	go run ./examples/serial-vs-parallel
//	go run ./examples/serial-vs-parallel -max-masters 5 -delay 2ms
//	go run ./examples/serial-vs-parallel -addrs 127.0.0.1:7000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/delayed"
)

// pipelineKeys is how many keys the pipeline sets and gets: 100 commands.
const pipelineKeys = 50

// options are the command line's settings.
type options struct {
	addrs      []string      // a cluster to measure; none starts local ones
	maxMasters int           // the local clusters have 1 to maxMasters masters
	delay      time.Duration // one-way latency of the local clusters' proxies
	rounds     int           // pipelines timed per mode and row
}

func main() {
	addrs := flag.String("addrs", "", "comma-separated cluster node addresses; empty starts local clusters of 1 to -max-masters masters")
	maxMasters := flag.Int("max-masters", 3, "largest local cluster to measure (not with -addrs)")
	delay := flag.Duration("delay", time.Millisecond, "one-way latency the local clusters' proxies add (not with -addrs)")
	rounds := flag.Int("rounds", 30, "pipelines timed per mode and cluster")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	opts := options{addrs: splitAddrs(*addrs), maxMasters: *maxMasters, delay: *delay, rounds: *rounds}
	if err := run(ctx, os.Stdout, opts); err != nil {
		fmt.Fprintln(os.Stderr, "serial-vs-parallel:", err)
		os.Exit(1)
	}
}

func splitAddrs(s string) []string {
	var addrs []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// run prints the table: one row for the cluster at opts.addrs, or one per
// local cluster of 1 to opts.maxMasters masters.
func run(ctx context.Context, w io.Writer, opts options) error {
	if opts.rounds < 1 || (len(opts.addrs) == 0 && opts.maxMasters < 1) {
		return errors.New("-rounds and -max-masters must be at least 1")
	}
	if len(opts.addrs) > 0 {
		fmt.Fprintf(w, "p50 of a %d-command pipeline over %d runs per mode, on %s\n",
			2*pipelineKeys, opts.rounds, strings.Join(opts.addrs, ","))
	} else {
		fmt.Fprintf(w, "p50 of a %d-command pipeline over %d runs per mode, each master behind a proxy adding %v one-way\n",
			2*pipelineKeys, opts.rounds, opts.delay)
	}
	fmt.Fprintf(w, "%7s | %10s | %10s | %5s\n", "masters", "serial", "parallel", "ratio")
	if len(opts.addrs) > 0 {
		if err := measure(ctx, w, opts.addrs, opts.rounds); err != nil {
			return err
		}
	}
	for masters := 1; len(opts.addrs) == 0 && masters <= opts.maxMasters; masters++ {
		addrs, stop, err := delayed.Start(ctx, masters, opts.delay)
		if err != nil {
			return err
		}
		err = measure(ctx, w, addrs, opts.rounds)
		stop()
		if err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "ratio: parallel / serial")
	return nil
}

// measure times the pipeline on the cluster at addrs in both modes, rounds
// times each, interleaved, and prints one row.
func measure(ctx context.Context, w io.Writer, addrs []string, rounds int) error {
	c, err := redactor.New(ctx, redactor.Config{Addrs: addrs})
	if err != nil {
		return err
	}
	defer c.Close()
	masters := 0
	for _, n := range c.Nodes() {
		if n.IsMaster() {
			masters++
		}
	}

	var serial, parallel []time.Duration
	for round := -1; round < rounds; round++ { // round -1 warms the connections up
		for _, par := range []bool{false, true} {
			took, err := timePipeline(ctx, c, par)
			if err != nil {
				return err
			}
			if round < 0 {
				continue
			}
			if par {
				parallel = append(parallel, took)
			} else {
				serial = append(serial, took)
			}
		}
	}
	s, p := median(serial), median(parallel)
	fmt.Fprintf(w, "%7d | %7.2f ms | %7.2f ms | %5.2f\n", masters, ms(s), ms(p), float64(p)/float64(s))
	return nil
}

// timePipeline runs the pipeline once, serially or in parallel, checks its
// results and returns how long Exec took.
func timePipeline(ctx context.Context, c *redactor.Client, parallel bool) (time.Duration, error) {
	p := c.Pipeline(redactor.WithParallel(parallel))
	value := fmt.Sprint(time.Now().UnixNano())
	for i := range pipelineKeys {
		key := fmt.Sprintf("serial-vs-parallel:{%d}", i)
		p.Do("SET", key, value)
		p.Do("GET", key)
	}
	start := time.Now()
	results, err := p.Exec(ctx)
	took := time.Since(start)
	if err != nil {
		return 0, err
	}
	for i := 1; i < len(results); i += 2 {
		if got, err := results[i].Text(); err != nil || got != value {
			return 0, fmt.Errorf("GET %d: got %q, %v; want %q", i/2, got, err, value)
		}
	}
	return took, nil
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// median returns the p50 of d, which it sorts.
func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

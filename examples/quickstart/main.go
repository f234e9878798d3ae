// Command quickstart runs one 100-command pipeline against a Redis Cluster,
// in parallel and in serial, and prints the results and the timings of both.
//
// With no flags it starts a local 3-master cluster of its own (redis-server
// must be installed) and stops it at the end, with a proxy in front of each
// master that adds -delay of one-way latency, as a network would; with
// -addrs it uses yours.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -delay 0
//	go run ./examples/quickstart -addrs 127.0.0.1:7000
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/delayed"
)

func main() {
	addrs := flag.String("addrs", "", "comma-separated cluster node addresses; empty starts a local 3-master cluster")
	rounds := flag.Int("rounds", 50, "how many times to time each mode")
	delay := flag.Duration("delay", time.Millisecond, "one-way latency the local cluster's proxies add (not with -addrs)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, splitAddrs(*addrs), *rounds, *delay); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
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

// run connects (starting a local cluster when addrs is empty), then runs and
// times the same pipeline both ways.
func run(ctx context.Context, w io.Writer, addrs []string, rounds int, delay time.Duration) error {
	if len(addrs) == 0 {
		var stop func()
		var err error
		if addrs, stop, err = startLocalCluster(ctx, w, delay); err != nil {
			return err
		}
		defer stop()
	}

	c, err := redactor.New(ctx, redactor.Config{Addrs: addrs})
	if err != nil {
		return err
	}
	defer c.Close()

	var outputs [][]redactor.Result
	var medians []time.Duration
	for _, parallel := range []bool{true, false} {
		mode := map[bool]string{true: "parallel", false: "serial"}[parallel]
		var results []redactor.Result
		times := make([]time.Duration, 0, rounds)
		for range max(rounds, 1) {
			p := c.Pipeline(redactor.WithParallel(parallel))
			queue(p)
			start := time.Now()
			results, err = p.Exec(ctx)
			times = append(times, time.Since(start))
			if err != nil {
				return fmt.Errorf("%s pipeline: %w", mode, err)
			}
		}
		outputs = append(outputs, results)
		slices.Sort(times)
		medians = append(medians, times[len(times)/2])
		fmt.Fprintf(w, "\n%s: %d commands, median %v, fastest %v over %d runs\n",
			mode, len(results), times[len(times)/2].Round(time.Microsecond), times[0].Round(time.Microsecond), len(times))
		printResults(w, results)
	}
	if !reflect.DeepEqual(outputs[0], outputs[1]) {
		return fmt.Errorf("parallel and serial results differ")
	}
	fmt.Fprintln(w, "\nparallel and serial results are identical")
	fmt.Fprintf(w, "parallel took %.2f of the serial time (median)\n", float64(medians[0])/float64(medians[1]))
	return nil
}

// queue adds the demo's 100 commands: for 25 users, a SET, a GET, an INCR
// and an RPUSH, over keys that hash to all masters.
func queue(p *redactor.Pipeline) {
	for i := range 25 {
		user := fmt.Sprintf("quickstart:user:{%d}", i)
		p.Do("SET", user+":name", fmt.Sprintf("user-%d", i))
		p.Do("GET", user+":name")
		p.Do("SET", user+":visits", fmt.Sprint(i*10))
		p.Do("INCR", user+":visits")
	}
}

// printResults prints the first commands' results and a count of errors.
func printResults(w io.Writer, results []redactor.Result) {
	errs := 0
	for i, r := range results {
		if r.Err != nil {
			errs++
		}
		if i < 8 {
			if r.Err != nil {
				fmt.Fprintf(w, "  [%d] error: %v\n", i, r.Err)
			} else {
				fmt.Fprintf(w, "  [%d] %v\n", i, r.Value)
			}
		}
	}
	fmt.Fprintf(w, "  ... %d results, %d errors\n", len(results), errs)
}

// startLocalCluster starts 3 masters, each behind a proxy that adds delay in
// each direction; the masters announce the proxies, so clients only see
// those. It returns the proxies' addresses and a function that stops all.
func startLocalCluster(ctx context.Context, w io.Writer, delay time.Duration) ([]string, func(), error) {
	addrs, stop, err := delayed.Start(ctx, 3, delay)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(w, "cluster up behind:", strings.Join(addrs, " "))
	return addrs, stop, nil
}

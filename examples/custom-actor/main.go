// Command custom-actor runs an actor of its own next to the client's: a
// write buffer. Many goroutines send it writes as messages; it gathers them
// and flushes them to the client's coordinator as one pipeline, by message
// (an *actors.Exec sent with ctx.Request), every -flush-every writes or
// -flush-interval after the first write it holds, whichever comes first.
// The pipelines come back to it as messages, and it counts their results.
// At the end the program reads every value back with GET.
//
// With no flags it starts a local 3-master cluster of its own (redis-server
// must be installed) and stops it at the end; with -addrs it uses yours.
//
//	go run ./examples/custom-actor
//	go run ./examples/custom-actor -writers 32 -flush-every 256
//	go run ./examples/custom-actor -addrs 127.0.0.1:7000
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// options are the demo's knobs.
type options struct {
	writers       int           // goroutines sending writes
	writes        int           // writes each goroutine sends
	flushEvery    int           // the buffer flushes when it holds this many
	flushInterval time.Duration // ... or this long after its first write
	pause         time.Duration // each goroutine pauses this long every 25 writes
}

func main() {
	addrs := flag.String("addrs", "", "comma-separated cluster node addresses; empty starts a local 3-master cluster")
	var opts options
	flag.IntVar(&opts.writers, "writers", 16, "goroutines sending writes")
	flag.IntVar(&opts.writes, "writes", 500, "writes each goroutine sends")
	flag.IntVar(&opts.flushEvery, "flush-every", 100, "flush once the buffer holds this many writes")
	flag.DurationVar(&opts.flushInterval, "flush-interval", 2*time.Millisecond, "flush this long after the buffer's first write")
	flag.DurationVar(&opts.pause, "pause", 3*time.Millisecond, "each goroutine pauses this long every 25 writes, as a bursty source would")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := run(ctx, os.Stdout, splitAddrs(*addrs), opts); err != nil {
		fmt.Fprintln(os.Stderr, "custom-actor:", err)
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

// run connects (starting a local cluster when addrs is empty), spawns the
// buffer in the client's actor system, has opts.writers goroutines send it
// their writes, drains it, and checks every value with GET.
func run(ctx context.Context, w io.Writer, addrs []string, opts options) (report, error) {
	if len(addrs) == 0 {
		fmt.Fprintln(w, "starting a local 3-master cluster...")
		lc, err := localcluster.Start(ctx, localcluster.Config{Masters: 3})
		if err != nil {
			return report{}, err
		}
		defer lc.Stop()
		addrs = lc.Addrs()
	}
	c, err := redactor.New(ctx, redactor.Config{Addrs: addrs})
	if err != nil {
		return report{}, err
	}
	defer c.Close()

	// The buffer lives in the client's actor system, next to the
	// coordinator it sends pipelines to.
	root := c.ActorSystem().Root
	buffer := root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &writeBuffer{coordinator: c.Coordinator(), flushEvery: opts.flushEvery, flushInterval: opts.flushInterval}
	}))
	defer root.Stop(buffer)

	start := time.Now()
	var wg sync.WaitGroup
	for g := range opts.writers {
		wg.Go(func() {
			for i := range opts.writes {
				root.Send(buffer, &write{key: keyOf(g, i), value: valueOf(g, i)})
				if i%25 == 24 {
					time.Sleep(opts.pause)
				}
			}
		})
	}
	wg.Wait()
	done := make(chan report, 1)
	root.Send(buffer, &drain{done: done})
	var rep report
	select {
	case rep = <-done:
	case <-ctx.Done():
		return report{}, ctx.Err()
	}
	fmt.Fprintf(w, "%d goroutines sent %d writes in %v\n", opts.writers, opts.writers*opts.writes, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(w, "the buffer flushed %d pipelines (%d full, %d by time, %d on drain) of %d writes: %d OK, %d errors\n",
		rep.pipelines, rep.full, rep.timed, rep.drained, rep.writes, rep.ok, rep.errors)
	if rep.pipelines > 0 {
		fmt.Fprintf(w, "%.1f writes per pipeline\n", float64(rep.writes)/float64(rep.pipelines))
	}

	// Read every value back, in one pipeline.
	p := c.Pipeline()
	var keys []string
	for g := range opts.writers {
		for i := range opts.writes {
			keys = append(keys, keyOf(g, i))
			p.Do("GET", keyOf(g, i))
		}
	}
	results, err := p.Exec(ctx)
	if err != nil {
		return rep, err
	}
	for j, r := range results {
		g, i := j/opts.writes, j%opts.writes
		if got, err := r.Text(); err != nil || got != valueOf(g, i) {
			return rep, fmt.Errorf("GET %s: %q, %v; want %q", keys[j], got, err, valueOf(g, i))
		}
	}
	rep.verified = len(results)
	fmt.Fprintf(w, "verified %d values with GET\n", rep.verified)
	// DEL is split by slot across the masters, its counts summed.
	n, err := c.Do(ctx, "DEL", keys...).Int64()
	if err != nil {
		return rep, err
	}
	fmt.Fprintf(w, "deleted %d keys\n", n)
	return rep, nil
}

func keyOf(g, i int) string   { return fmt.Sprintf("custom-actor:w%d:%d", g, i) }
func valueOf(g, i int) string { return fmt.Sprintf("value %d of writer %d", i, g) }

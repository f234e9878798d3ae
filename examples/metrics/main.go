// Command metrics runs a load against a Redis Cluster with OpenTelemetry
// metrics on (Config.MeterProvider), exports them to stdout as JSON every
// -export-interval with the SDK's stdout exporter, and at the end prints a
// summary of what was recorded: the pipelines' duration histogram by
// operation, and the batches per node (see docs/metrics.md).
//
// With no flags it starts a local 3-master cluster of its own (redis-server
// must be installed), and halfway through moves the slot of a key every
// pipeline reads, so that redirects show too; with -addrs it uses yours
// and moves nothing.
//
//	go run ./examples/metrics
//	go run ./examples/metrics -duration 10s -export-interval 5s
//	go run ./examples/metrics -addrs 127.0.0.1:7000
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

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/topology"
)

// options are the demo's knobs.
type options struct {
	duration       time.Duration // how long the load runs
	workers        int           // goroutines running pipelines
	exportInterval time.Duration // how often the stdout exporter writes; 0: only at the end
}

// hotKey is read by every pipeline; on its own cluster the demo moves its
// slot halfway through.
const hotKey = "metrics:hot"

func main() {
	addrs := flag.String("addrs", "", "comma-separated cluster node addresses; empty starts a local 3-master cluster")
	var opts options
	flag.DurationVar(&opts.duration, "duration", 3*time.Second, "how long the load runs")
	flag.IntVar(&opts.workers, "workers", 8, "goroutines running pipelines")
	flag.DurationVar(&opts.exportInterval, "export-interval", time.Second, "how often metrics are exported to stdout as JSON; 0: only at the end")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := run(ctx, os.Stdout, splitAddrs(*addrs), opts); err != nil {
		fmt.Fprintln(os.Stderr, "metrics:", err)
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

// run connects with metrics on (starting a local cluster when addrs is
// empty), runs the load, and prints the summary.
func run(ctx context.Context, out io.Writer, addrs []string, opts options) (*summary, error) {
	// The exporter writes from a goroutine of its own.
	w := &lockedWriter{w: out}
	var lc *localcluster.Cluster
	if len(addrs) == 0 {
		fmt.Fprintln(w, "starting a local 3-master cluster...")
		var err error
		if lc, err = localcluster.Start(ctx, localcluster.Config{Masters: 3}); err != nil {
			return nil, err
		}
		defer lc.Stop()
		addrs = lc.Addrs()
	}

	// One periodic reader, whose exporter writes JSON to stdout and keeps a
	// summary of each export for the end. (One reader: the SDK v1.21 this
	// module builds with miscounts observable instruments under several,
	// opentelemetry-go#4741; see docs/metrics.md.)
	stdout, err := stdoutmetric.New(stdoutmetric.WithWriter(w))
	if err != nil {
		return nil, err
	}
	exporter := &summarizer{Exporter: stdout}
	interval := opts.exportInterval
	if interval <= 0 {
		interval = 24 * time.Hour // only the export at shutdown
	}
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exporter, sdkmetric.WithInterval(interval))))

	c, err := redactor.New(ctx, redactor.Config{Addrs: addrs, MeterProvider: mp})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Do(ctx, "SET", "metrics:counter", "not a number").Err; err != nil {
		return nil, err
	}

	fmt.Fprintf(w, "running %d workers for %v; the stdout exporter writes JSON every %v:\n", opts.workers, opts.duration, opts.exportInterval)
	load, cancelLoad := context.WithTimeout(ctx, opts.duration)
	defer cancelLoad()
	var wg sync.WaitGroup
	errs := make(chan error, opts.workers)
	for i := range opts.workers {
		wg.Go(func() { errs <- work(load, c, i) })
	}
	if lc != nil {
		if err := moveHotSlot(ctx, lc, opts.duration/2); err != nil {
			return nil, err
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return nil, err
		}
	}

	// Shutdown makes the last export, whose summary holds the totals
	// (cumulative temporality, the default).
	if err := mp.Shutdown(ctx); err != nil {
		return nil, err
	}
	s := exporter.last()
	s.print(w, opts.duration)
	return s, nil
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// work runs pipelines until ctx ends: 10 SETs and 10 GETs and a GET of
// hotKey, then a single GET, and every 100th round an INCR of a string,
// which fails.
func work(ctx context.Context, c *redactor.Client, worker int) error {
	for round := 0; ctx.Err() == nil; round++ {
		p := c.Pipeline()
		for k := range 10 {
			key := fmt.Sprintf("metrics:%d:%d", worker, (round*10+k)%1000)
			p.Do("SET", key, "value")
			p.Do("GET", key)
		}
		p.Do("GET", hotKey)
		if _, err := p.Exec(ctx); err != nil {
			return done(ctx, err)
		}
		if r := c.Do(ctx, "GET", fmt.Sprintf("metrics:%d:%d", worker, round%1000)); r.Err != nil {
			return done(ctx, r.Err)
		}
		if round%100 == 99 {
			c.Do(ctx, "INCR", "metrics:counter") // ERR value is not an integer
		}
	}
	return nil
}

// done returns err, unless it is the end of the load.
func done(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// moveHotSlot waits, then moves the slot of hotKey to another master
// behind the client's back: the client's next reads of it get MOVED.
func moveHotSlot(ctx context.Context, lc *localcluster.Cluster, after time.Duration) error {
	time.Sleep(after)
	slot := int(topology.Slot(hotKey))
	from, err := lc.SlotOwner(ctx, slot)
	if err != nil {
		return err
	}
	to := lc.Addrs()[0]
	if to == from {
		to = lc.Addrs()[1]
	}
	return lc.MoveSlots(ctx, []int{slot}, from, to)
}

// Command consistency checks that a Redis Cluster and the redactor client
// keep every acknowledged write, after redis-rb-cluster's
// consistency-test.rb: goroutines run pipelines of INCR over counters
// spread over all slots (in parallel and serial mode, one pipeline in two)
// and pipelines of GET that compare each counter with what the INCR
// replies acknowledged. Every second it prints:
//
//   - reads, writes: GETs and INCRs that got a reply;
//   - failed: commands with an error that proves they did not run;
//   - unknown: INCRs whose outcome is unknown (redactor.ErrUnknownOutcome);
//   - lost: acknowledged increments the server no longer has (a GET lower
//     than the highest value an INCR returned);
//   - unexpected: increments the server has beyond those acknowledged and
//     those of unknown outcome;
//   - crash-lost: lost increments that Redis itself dropped when a master
//     was killed. Precisely: a lost increment of a key whose slot was
//     served by a master killed (kill -9) between at and done, acknowledged
//     by a pipeline that started no earlier than -crash-window (W, 1 s)
//     before at and no later than done. The master acknowledged it before
//     its replica had it, and the replica promoted never got it. Every
//     other lost increment counts as lost.
//
// With no flags it starts a local cluster of 3 masters with a replica each
// (redis-server must be installed) and, while the load runs, moves 2,000
// slots from one master to another, fails a master over to its replica
// with CLUSTER FAILOVER, then kills another master with SIGKILL (its
// replica takes over). It prints the counts of each step. lost and
// unexpected must stay 0; crash-lost only grows at the kill. Replication
// on one machine is quick, so a kill rarely drops anything: -kill-lag cuts
// the master's replication link a moment before the kill, so that it
// drops what it acknowledged in that moment, and crash-lost counts it.
//
// With -addrs it runs the load against your cluster for -duration,
// touching only the keys "<prefix>:<n>" (deleted at the start and the
// end), and changes nothing else. It exits with status 1 when anything was
// lost, unexpected or wrong.
//
//	go run ./examples/consistency
//	go run ./examples/consistency -duration 1m -move 0 -failover=false
//	go run ./examples/consistency -kill-lag 300ms
//	go run ./examples/consistency -addrs 127.0.0.1:7000 -duration 5m
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

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/consistency"
	"github.com/redactor-go/redactor/redactortest"
)

// options are the command line's settings.
type options struct {
	addrs    []string      // a cluster to use; none starts a local one
	duration time.Duration // the least time the load runs
	check    consistency.Config
	move     int           // local: slots to move
	failover bool          // local: a CLUSTER FAILOVER
	kill     bool          // local: a master killed
	killLag  time.Duration // local: the master's replication link cut that long before the kill
}

func main() {
	var opts options
	addrs := flag.String("addrs", "", "comma-separated cluster node addresses; empty starts a local cluster of 3 masters with a replica each")
	flag.DurationVar(&opts.duration, "duration", 10*time.Second, "the least time the load runs")
	flag.StringVar(&opts.check.Prefix, "prefix", "consistency", "the keys' prefix: \"<prefix>:<n>\"")
	flag.IntVar(&opts.check.Keys, "keys", 1000, "counters, spread over all slots (at most 16384)")
	flag.IntVar(&opts.check.Workers, "workers", 4, "goroutines running pipelines")
	flag.IntVar(&opts.check.Pipeline, "pipeline", 20, "INCRs (and GETs) per pipeline")
	flag.DurationVar(&opts.check.CrashWindow, "crash-window", time.Second, "W: a lost increment of a killed master's slot, sent at most W before the kill, is crash-lost")
	flag.IntVar(&opts.move, "move", 2000, "local cluster: slots to move from one master to another (0: none)")
	flag.BoolVar(&opts.failover, "failover", true, "local cluster: fail a master over to its replica with CLUSTER FAILOVER")
	flag.BoolVar(&opts.kill, "kill", true, "local cluster: kill a master with SIGKILL (its replica takes over)")
	flag.DurationVar(&opts.killLag, "kill-lag", 0, "local cluster: cut the replication link of the master to kill this long before the kill (CLIENT KILL TYPE replica), so that the kill drops what it acknowledged meanwhile: crash-lost shows it (keep it under -crash-window)")
	flag.Parse()
	opts.addrs = splitAddrs(*addrs)

	ctx, cancel := context.WithTimeout(context.Background(), opts.duration+5*time.Minute)
	defer cancel()
	res, err := run(ctx, os.Stdout, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "consistency:", err)
		os.Exit(1)
	}
	if !res.total.ok() {
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

// result is what a run counted: in all, and during each step.
type result struct {
	total stats
	steps []step
}

// step is one change of the cluster and what the checker counted while it
// ran (from its start to a second after its end).
type step struct {
	name  string
	stats stats
}

// stats adds a verdict to the checker's counts.
type stats struct{ consistency.Stats }

// ok reports whether nothing acknowledged was lost (crash-lost aside),
// nothing unexpected appeared and every reply had the right type.
func (s stats) ok() bool { return s.Lost == 0 && s.Unexpected == 0 && s.Wrong == 0 }

// run connects (starting a local cluster when opts.addrs is empty), runs
// the checker for opts.duration while it changes the local cluster, and
// prints the counts every second.
func run(ctx context.Context, w io.Writer, opts options) (result, error) {
	out := &printer{w: w, start: time.Now()}
	var rc *redactortest.Cluster
	cfg := redactor.Config{Addrs: opts.addrs}
	if len(opts.addrs) == 0 {
		out.printf("starting a local cluster: 3 masters with a replica each")
		var err error
		rc, err = redactortest.Start(ctx, redactortest.Options{Masters: 3, Replicas: 1})
		if err != nil {
			return result{}, err
		}
		defer rc.Stop()
		cfg = rc.Config()
		out.printf("cluster up: masters %s", strings.Join(rc.Addrs(), " "))
	}
	c, err := redactor.New(ctx, cfg)
	if err != nil {
		return result{}, err
	}
	defer c.Close()
	ch, err := consistency.New(c, opts.check)
	if err != nil {
		return result{}, err
	}
	if err := ch.Reset(ctx); err != nil {
		return result{}, fmt.Errorf("delete the keys: %w", err)
	}
	out.printf("load: %d goroutines, pipelines of INCR then GET over %d keys (%s:*)",
		max(opts.check.Workers, 1), len(ch.Keys()), opts.check.Prefix)
	ch.Start(ctx)
	stopPrinting := printEverySecond(ch, out)
	begin := time.Now()

	var res result
	var changeErr error
	if rc != nil {
		res.steps, changeErr = change(ctx, rc, c, ch, out, opts)
	}
	if changeErr == nil {
		time.Sleep(time.Until(begin.Add(opts.duration)))
	}
	ch.Stop()
	stopPrinting()
	if changeErr != nil {
		return res, changeErr
	}
	s, err := ch.Verify(ctx)
	if err != nil {
		return res, fmt.Errorf("final read: %w", err)
	}
	res.total = stats{s}
	out.report(res)
	if err := ch.Reset(ctx); err != nil {
		return res, fmt.Errorf("delete the keys: %w", err)
	}
	return res, nil
}

// printEverySecond prints the checker's counts every second until the
// function it returns is called.
func printEverySecond(ch *consistency.Checker, out *printer) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				out.printf("%s", ch.Stats())
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// printer prints lines stamped with the time since the start.
type printer struct {
	w     io.Writer
	start time.Time
	mu    sync.Mutex
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%5.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

// report prints the counts of each step and in all, with the errors.
func (p *printer) report(res result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range res.steps {
		fmt.Fprintf(p.w, "during %s: %s\n", s.name, s.stats)
	}
	fmt.Fprintf(p.w, "in all (with a final read of every key): %s\n", res.total)
	if res.total.CrashLost > 0 {
		fmt.Fprintf(p.w, "crash-lost increments were sent at most %v before the kill\n", res.total.MaxCrashAge.Round(time.Millisecond))
	}
	if len(res.total.Errors) > 0 {
		fmt.Fprintf(p.w, "failed or unknown commands by error:\n%s", res.total.ErrorsString("  "))
	}
	verdict := "OK: no acknowledged write lost (but for those a crash failover dropped), nothing unexpected"
	if !res.total.ok() {
		verdict = "FAILED: writes lost, unexpected or wrong"
	}
	fmt.Fprintln(p.w, verdict)
}

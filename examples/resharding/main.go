// Command resharding keeps a client busy with pipelines while its cluster
// changes under it, and prints what the client sees on its event stream
// (layout loads, nodes up and down, MOVED and ASK redirects).
//
// With no flags it starts a local cluster of 3 masters with a replica each
// (redis-server must be installed). While 4 goroutines run pipelines of
// INCR and GET over 200 keys and check every reply, it moves the slots of
// the keys on the first master to the second, fails the second master over
// to its replica, and moves the slots back. At the end it prints how many
// pipelines ran, which commands failed with what, and whether every key
// holds the count its INCRs returned.
//
// With -addrs it runs the same load against your cluster for -duration and
// prints the events, changing nothing but its own keys
// ("resharding-example:*", deleted at the end). Add -reshard to also move
// slots and fail over on your cluster as above: the slots moved hold other
// keys too (they move with MIGRATE, losing none, and come back), and the
// replica promoted stays master. Never use -reshard on a cluster that
// serves anything that matters; it needs nodes without a password.
//
//	go run ./examples/resharding
//	go run ./examples/resharding -addrs 127.0.0.1:7000
//	go run ./examples/resharding -addrs 127.0.0.1:7000 -reshard
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
	"sync"
	"time"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/redactortest"
	"github.com/redactor-go/redactor/topology"
)

// options are the command line's settings.
type options struct {
	addrs    []string      // a cluster to use; none starts a local one
	reshard  bool          // change the cluster at addrs too
	duration time.Duration // the least time the load runs
}

func main() {
	addrs := flag.String("addrs", "", "comma-separated cluster node addresses; empty starts a local cluster of 3 masters with a replica each")
	reshard := flag.Bool("reshard", false, "with -addrs: also move slots and fail a master over on that cluster (test clusters only)")
	duration := flag.Duration("duration", 3*time.Second, "the least time the load runs")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	opts := options{addrs: splitAddrs(*addrs), reshard: *reshard, duration: *duration}
	if err := run(ctx, os.Stdout, opts); err != nil {
		fmt.Fprintln(os.Stderr, "resharding:", err)
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

// admin changes a cluster: *redactortest.Cluster for the local one, remote
// for one at -addrs.
type admin interface {
	SlotsOf(ctx context.Context, addr string) ([]int, error)
	MoveSlots(ctx context.Context, slots []int, from, to string) error
	Failover(ctx context.Context, replicaAddr string) error
}

// run connects (starting a local cluster when opts.addrs is empty), prints
// the client's events, and runs the load while it changes the cluster.
func run(ctx context.Context, w io.Writer, opts options) error {
	out := &printer{w: w, start: time.Now()}
	var adm admin
	if len(opts.addrs) == 0 {
		out.printf("starting a local cluster: 3 masters with a replica each")
		rc, err := redactortest.Start(ctx, redactortest.Options{Masters: 3, Replicas: 1})
		if err != nil {
			return err
		}
		defer rc.Stop()
		opts.addrs, adm = rc.Addrs(), rc
		out.printf("cluster up: masters %s", strings.Join(opts.addrs, " "))
	}

	c, err := redactor.New(ctx, redactor.Config{Addrs: opts.addrs})
	if err != nil {
		return err
	}
	defer c.Close()
	switch {
	case adm == nil && opts.reshard:
		adm = remote{c}
	case adm == nil:
		out.printf("leaving the layout of %s as it is (add -reshard to change it)", strings.Join(opts.addrs, ","))
	}
	stopEvents := printEvents(c, out)
	defer stopEvents()

	l := newLoad(c, out)
	if err := l.start(ctx); err != nil {
		return err
	}
	begin := time.Now()
	var changeErr error
	if adm != nil {
		time.Sleep(300 * time.Millisecond) // the load before
		changeErr = change(ctx, c, adm, out, l.keys)
	}
	time.Sleep(max(opts.duration-time.Since(begin), 300*time.Millisecond)) // and after
	l.stop()
	stopEvents()
	if changeErr != nil {
		return changeErr
	}
	return l.report(ctx)
}

// change moves the slots of the keys on the first master to the second,
// fails the second over to its replica, and moves the slots back.
func change(ctx context.Context, c *redactor.Client, adm admin, out *printer, keys []string) error {
	var masters []string
	replicaOf := map[string]string{}
	for _, n := range c.Nodes() {
		if n.IsMaster() {
			masters = append(masters, n.Addr)
		} else {
			replicaOf[n.Master] = n.Addr
		}
	}
	if len(masters) < 2 {
		out.printf("one master only: nothing to move")
		return nil
	}
	from, to := masters[0], masters[1]
	owned, err := adm.SlotsOf(ctx, from)
	if err != nil {
		return err
	}
	var slots []int
	held := 0
	for _, k := range keys {
		if s := int(topology.Slot(k)); slices.Contains(owned, s) {
			held++
			if !slices.Contains(slots, s) {
				slots = append(slots, s)
			}
		}
	}
	slices.Sort(slots)

	move := func(from, to string) error {
		out.printf("step: moving %d slots (holding %d of the %d keys) from %s to %s", len(slots), held, len(keys), from, to)
		begin := time.Now()
		if err := adm.MoveSlots(ctx, slots, from, to); err != nil {
			return err
		}
		out.printf("step: moved in %v", time.Since(begin).Round(time.Millisecond))
		return nil
	}
	if err := move(from, to); err != nil {
		return err
	}
	if replica := replicaOf[to]; replica == "" {
		out.printf("step: %s has no replica: no failover", to)
	} else {
		out.printf("step: failing %s over to its replica %s", to, replica)
		begin := time.Now()
		if err := adm.Failover(ctx, replica); err != nil {
			return err
		}
		out.printf("step: %s is master, after %v", replica, time.Since(begin).Round(time.Millisecond))
		to = replica
	}
	return move(to, from)
}

// printEvents prints the client's events until the function it returns is
// called, which prints how many there were of each. A move makes many
// batches redirect alike: each kind of redirect is printed the first time,
// and counted.
func printEvents(c *redactor.Client, out *printer) (stop func()) {
	// Guarded by out.mu: the counts, and the redirects printed.
	var loads, ups, downs, redirects int
	seen := map[string]bool{}
	observer := redactor.Observe(c, func(evt redactor.Event) {
		out.mu.Lock()
		defer out.mu.Unlock()
		switch e := evt.Payload.(type) {
		case *topology.Loaded:
			loads++
			switch {
			case e.Err != nil:
				out.eventLocked("layout load failed: %v", e.Err)
			case e.Changed:
				out.eventLocked("layout loaded: version %d, changed", e.Version)
			default:
				out.eventLocked("layout loaded: version %d, unchanged", e.Version)
			}
		case *topology.NodeUp:
			ups++
			out.eventLocked("node up: %s", e.Addr)
		case *topology.NodeDown:
			downs++
			out.eventLocked("node down: %s: %v", e.Addr, e.Err)
		case *actors.Redirected:
			redirects++
			if s := describeRedirect(e); !seen[s] {
				out.eventLocked("redirected: %s", s)
				seen[s] = true
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			observer.Stop()
			<-observer.Done()
			out.mu.Lock()
			defer out.mu.Unlock()
			fmt.Fprintf(out.w, "events: %d layout loads, %d nodes up, %d nodes down, %d redirected batches (each kind printed once)\n",
				loads, ups, downs, redirects)
			out.closed = true
		})
	}
}

// describeRedirect says where one redirected batch was sent: the masters
// MOVED named and those ASK sent commands to.
func describeRedirect(e *actors.Redirected) string {
	var moved []string
	for _, m := range e.Moved {
		if !slices.Contains(moved, m.Addr) {
			moved = append(moved, m.Addr)
		}
	}
	var parts []string
	if len(moved) > 0 {
		parts = append(parts, "MOVED to "+strings.Join(moved, " "))
	}
	if len(e.Asked) > 0 {
		parts = append(parts, "ASK to "+strings.Join(e.Asked, " "))
	}
	return strings.Join(parts, ", ")
}

// printer prints lines stamped with the time since the start, from the
// program's goroutines and the event stream's; nothing once closed.
type printer struct {
	w      io.Writer
	start  time.Time
	mu     sync.Mutex
	closed bool
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.printfLocked(format, args...)
}

// printfLocked prints with p.mu held.
func (p *printer) printfLocked(format string, args ...any) {
	if !p.closed {
		fmt.Fprintf(p.w, "[%6.3fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
	}
}

// eventLocked prints an event with p.mu held.
func (p *printer) eventLocked(format string, args ...any) { p.printfLocked("event: "+format, args...) }

// errKind names an error for the failure counts.
func errKind(err error) string {
	var redisErr *redactor.RedisError
	if errors.As(err, &redisErr) {
		return "error reply " + redisErr.Prefix()
	}
	for _, known := range []error{redactor.ErrUnknownOutcome, redactor.ErrNodeUnreachable,
		redactor.ErrTooManyRedirects, redactor.ErrSlotNotServed, context.DeadlineExceeded} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	return err.Error()
}

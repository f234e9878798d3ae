//go:build soak

package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/redactor-go/redactor/internal/consistency"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// chaos changes the cluster at random, one fault at a time.
type chaos struct {
	e       *env
	crashes *crashLog
	checker *consistency.Checker
	logf    func(format string, args ...any)
	rng     *rand.Rand
	done    map[string]int // faults by kind
}

// faults are the kinds of fault, with their weights.
var faults = []struct {
	name   string
	weight int
	run    func(*chaos, context.Context) (string, error)
}{
	{"kill", 2, (*chaos).kill},
	{"move", 3, (*chaos).move},
	{"failover", 1, (*chaos).failover},
	{"cut", 2, (*chaos).cut},
	{"cut-after-request", 2, (*chaos).cutAfterRequest},
	{"stall", 2, (*chaos).stall},
}

// run applies a fault every 2 to 6 s until stop; each fault ends with the
// cluster healthy. It returns the first fault that could not be applied.
func (ch *chaos) run(ctx context.Context, stop <-chan struct{}) error {
	total := 0
	for _, f := range faults {
		total += f.weight
	}
	for {
		select {
		case <-stop:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2*time.Second + time.Duration(ch.rng.Int64N(int64(4*time.Second)))):
		}
		pick := ch.rng.IntN(total)
		for _, f := range faults {
			if pick -= f.weight; pick >= 0 {
				continue
			}
			begin := time.Now()
			what, err := ch.apply(ctx, f.run)
			if err != nil {
				return fmt.Errorf("chaos %s: %w", f.name, err)
			}
			ch.done[f.name]++
			ch.logf("chaos: %s (%v)", what, time.Since(begin).Round(time.Millisecond))
			break
		}
	}
}

// faultTimeout bounds a fault, from a healthy cluster to a healthy cluster.
const faultTimeout = 2 * time.Minute

// apply applies a fault to a healthy cluster whose roles the harness knows
// (a failover may have happened since the last look), within faultTimeout.
func (ch *chaos) apply(ctx context.Context, fault func(*chaos, context.Context) (string, error)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, faultTimeout)
	defer cancel()
	if err := ch.e.lc.WaitHealthy(ctx); err != nil {
		return "", err
	}
	return fault(ch, ctx)
}

// pick returns a random element of s.
func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

// kill kills a master (once its replica is in step), waits for its replica
// to take over, and restarts it: it rejoins as a replica.
func (ch *chaos) kill(ctx context.Context) (string, error) {
	victim := pick(ch.rng, ch.e.nodes(true))
	if err := ch.e.waitLinks(ctx, victim); err != nil {
		return "", err
	}
	slots, err := ch.e.lc.SlotsOf(ctx, victim.Addr)
	if err != nil {
		return "", err
	}
	at := time.Now()
	if err := ch.e.lc.Kill(victim.Addr); err != nil {
		return "", err
	}
	done := time.Now()
	ch.crashes.add(slots, at, done)
	ch.checker.Crash(slots, at, done)
	if err := ch.e.lc.WaitHealthy(ctx); err != nil {
		return "", err
	}
	promoted := time.Since(done)
	if err := ch.e.lc.Restart(ctx, victim.Addr); err != nil {
		return "", err
	}
	return fmt.Sprintf("killed master %s (%d slots), replica promoted in %v, restarted as a replica",
		victim.Addr, len(slots), promoted.Round(time.Millisecond)), nil
}

// move moves 100 to 2,000 consecutive slots of a master to another.
func (ch *chaos) move(ctx context.Context) (string, error) {
	masters := ch.e.nodes(true)
	from := pick(ch.rng, masters)
	masters = slices.DeleteFunc(masters, func(n localcluster.Node) bool { return n.ID == from.ID })
	to := pick(ch.rng, masters)
	owned, err := ch.e.lc.SlotsOf(ctx, from.Addr)
	if err != nil {
		return "", err
	}
	if len(owned) < 2 {
		return fmt.Sprintf("no move: %s holds %d slots", from.Addr, len(owned)), nil
	}
	n := min(100+ch.rng.IntN(1901), len(owned)/2)
	start := ch.rng.IntN(len(owned) - n + 1)
	// A node may refuse for a moment (a MIGRATE target that just became a
	// master answers CLUSTERDOWN): move again, which resumes where it
	// stopped, until the fault's time is up.
	tries := 1
	for {
		err := ch.e.lc.MoveSlots(ctx, owned[start:start+n], from.Addr, to.Addr)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return "", err
		}
		ch.logf("chaos: move failed, moving again: %v", err)
		tries++
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Sprintf("moved %d slots from %s to %s (tries: %d)", n, from.Addr, to.Addr, tries), nil
}

// failover fails a master over to its replica with CLUSTER FAILOVER.
func (ch *chaos) failover(ctx context.Context) (string, error) {
	r := pick(ch.rng, ch.e.nodes(false))
	if err := ch.e.lc.Failover(ctx, r.Addr); err != nil {
		return "", err
	}
	return "CLUSTER FAILOVER to " + r.Addr, nil
}

// cut closes every connection to a node, clients' and replicas'.
func (ch *chaos) cut(context.Context) (string, error) {
	n := pick(ch.rng, ch.liveNodes())
	ch.e.proxyOf(n).CutAll()
	return "cut every connection to " + role(n) + " " + n.Addr, nil
}

// cutAfterRequest closes the connection of the next request to a master
// after the master got it and before its reply.
func (ch *chaos) cutAfterRequest(context.Context) (string, error) {
	n := pick(ch.rng, ch.e.nodes(true))
	ch.e.proxyOf(n).CutAfterRequest()
	return "cut the next request's connection to master " + n.Addr + " before its reply", nil
}

// stall has a master's proxy swallow everything for 0.5 to 3 s, as a hung
// node, then cuts its connections (their streams lost bytes) and lets new
// ones through.
func (ch *chaos) stall(context.Context) (string, error) {
	n := pick(ch.rng, ch.e.nodes(true))
	p := ch.e.proxyOf(n)
	d := 500*time.Millisecond + time.Duration(ch.rng.Int64N(int64(2500*time.Millisecond)))
	p.Blackhole(true)
	time.Sleep(d)
	p.Refuse(true)
	p.CutAll()
	p.Blackhole(false)
	p.Refuse(false)
	return fmt.Sprintf("stalled master %s for %v", n.Addr, d.Round(time.Millisecond)), nil
}

func (ch *chaos) liveNodes() []localcluster.Node {
	return append(ch.e.nodes(true), ch.e.nodes(false)...)
}

func role(n localcluster.Node) string {
	if n.Master {
		return "master"
	}
	return "replica"
}

// rotate fails every master over to a replica of its, once, so that every
// node has served as a master: the client then holds a connection to each
// (it keeps those of a master demoted to a replica).
func (ch *chaos) rotate(ctx context.Context) error {
	for _, m := range ch.e.nodes(true) {
		rs := ch.e.replicasOf(m)
		if len(rs) == 0 {
			continue
		}
		if err := ch.e.lc.Failover(ctx, rs[0].Addr); err != nil {
			return fmt.Errorf("rotate: %w", err)
		}
		ch.logf("warm-up: CLUSTER FAILOVER of %s to %s", m.Addr, rs[0].Addr)
		time.Sleep(time.Second) // the load uses the new master
	}
	return nil
}

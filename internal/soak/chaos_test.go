//go:build soak

package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
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
	start   time.Time      // when the load started, for the times in the log
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
			ch.logf("chaos at %v: %s (%v)", begin.Sub(ch.start).Round(time.Millisecond), what, time.Since(begin).Round(time.Millisecond))
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
	// A node may refuse for a moment (a MIGRATE target whose cluster state
	// is not ok yet answers CLUSTERDOWN): move again what the source still
	// serves, while both are still masters, until the fault's time is up.
	slots, tries := owned[start:start+n], 1
	for {
		err := ch.e.lc.MoveSlots(ctx, slots, from.Addr, to.Addr)
		if err == nil {
			break
		}
		ch.logf("chaos: move failed: %v", err)
		if errors.Is(err, localcluster.ErrBusyKey) {
			// A MIGRATE that timed out after the target had restored its
			// keys left them on both nodes. The source, which still serves
			// them, is right: copy them over again, as redis-cli --cluster
			// fix does.
			if rerr := ch.remigrate(ctx, slots, from, to); rerr != nil {
				return "", errors.Join(err, rerr)
			}
		}
		time.Sleep(500 * time.Millisecond)
		if werr := ch.e.lc.WaitHealthy(ctx); werr != nil {
			return "", errors.Join(err, werr)
		}
		masters := ch.e.lc.Addrs()
		if !slices.Contains(masters, from.Addr) || !slices.Contains(masters, to.Addr) {
			return "", fmt.Errorf("%w; and now %s or %s is no master", err, from.Addr, to.Addr)
		}
		still, serr := ch.e.lc.SlotsOf(ctx, from.Addr)
		if serr != nil {
			return "", errors.Join(err, serr)
		}
		slots = slices.DeleteFunc(slots, func(s int) bool { _, ok := slices.BinarySearch(still, s); return !ok })
		if len(slots) == 0 {
			break
		}
		tries++
	}
	return fmt.Sprintf("moved %d slots from %s to %s (tries: %d)", n, from.Addr, to.Addr, tries), nil
}

// remigrate migrates, with REPLACE, the keys the source still holds in
// those of slots that are migrating to the target (the target refuses the
// others, which are left to MoveSlots).
func (ch *chaos) remigrate(ctx context.Context, slots []int, from, to localcluster.Node) error {
	for _, slot := range slots {
		var keys []string
		if err := ch.e.lc.Do(ctx, from.Addr, &keys, "CLUSTER", "GETKEYSINSLOT", strconv.Itoa(slot), "1000"); err != nil {
			return err
		}
		if len(keys) == 0 {
			continue
		}
		args := append([]string{"127.0.0.1", strconv.Itoa(to.Port), "", "0", "5000", "REPLACE", "KEYS"}, keys...)
		if err := ch.e.lc.Do(ctx, from.Addr, nil, "MIGRATE", args...); ctx.Err() != nil {
			return err
		}
	}
	return nil
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
// node has served as a master (the client closes its connections to a
// master demoted to a replica, once idle).
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

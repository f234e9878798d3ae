package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/consistency"
	"github.com/redactor-go/redactor/redactortest"
)

// settle is how long the load runs before and after each step: after a
// kill, longer than the crash window, so that no later step's loss could be
// taken for the crash's.
const settle = time.Second

// change moves slots, fails a master over and kills another, as opts says,
// and returns what the checker counted during each step.
func change(ctx context.Context, rc *redactortest.Cluster, c *redactor.Client, ch *consistency.Checker, out *printer, opts options) ([]step, error) {
	masters := rc.Addrs()
	var steps []step
	do := func(name string, f func() error) error {
		time.Sleep(settle)
		before := ch.Stats()
		out.printf("step: %s", name)
		begin := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		out.printf("step: done in %v", time.Since(begin).Round(time.Millisecond))
		time.Sleep(settle + opts.check.CrashWindow)
		steps = append(steps, step{name: name, stats: stats{ch.Stats().Since(before)}})
		return nil
	}
	if n := opts.move; n > 0 {
		from, to := masters[0], masters[1]
		owned, err := rc.SlotsOf(ctx, from)
		if err != nil {
			return steps, err
		}
		slots := owned[:min(n, len(owned))]
		err = do(fmt.Sprintf("move %d slots from %s to %s", len(slots), from, to), func() error {
			return rc.MoveSlots(ctx, slots, from, to)
		})
		if err != nil {
			return steps, err
		}
	}
	if opts.failover {
		replica := rc.ReplicasOf(masters[1])[0]
		err := do(fmt.Sprintf("CLUSTER FAILOVER of %s to its replica %s", masters[1], replica), func() error {
			return rc.Failover(ctx, replica)
		})
		if err != nil {
			return steps, err
		}
	}
	if opts.kill {
		victim := masters[2]
		err := do(fmt.Sprintf("kill -9 of master %s (its replica %s takes over)", victim, rc.ReplicasOf(victim)[0]), func() error {
			slots, err := rc.SlotsOf(ctx, victim)
			if err != nil {
				return err
			}
			replica := rc.ReplicasOf(victim)[0]
			if opts.killLag > 0 {
				if err := cutReplication(ctx, c, victim, replica); err != nil {
					return err
				}
				out.printf("step: replication from %s to %s cut; killing %s in %v", victim, replica, victim, opts.killLag)
				time.Sleep(opts.killLag)
			}
			at := time.Now()
			if err := rc.Kill(victim); err != nil {
				return err
			}
			ch.Crash(slots, at, time.Now())
			if err := rc.WaitHealthy(ctx); err != nil {
				return err
			}
			if opts.killLag > 0 {
				return restoreReplication(ctx, c, replica)
			}
			return nil
		})
		if err != nil {
			return steps, err
		}
	}
	return steps, nil
}

// cutReplication stops replica from replicating master, so that what the
// master acknowledges from now on is on the master only: the master drops
// its link (CLIENT KILL TYPE replica), and the replica's attempts to link
// again fail, as it authenticates as a user that does not exist.
func cutReplication(ctx context.Context, c *redactor.Client, master, replica string) error {
	if err := c.DoOn(ctx, replica, "CONFIG", "SET", "masteruser", "consistency-no-such-user", "masterauth", "x").Err; err != nil {
		return fmt.Errorf("cut replication on %s: %w", replica, err)
	}
	if err := c.DoOn(ctx, master, "CLIENT", "KILL", "TYPE", "replica").Err; err != nil {
		return fmt.Errorf("cut replication on %s: %w", master, err)
	}
	return nil
}

// restoreReplication undoes cutReplication on replica, for when it
// replicates again. It waits until the client knows the replica as the
// master it now is.
func restoreReplication(ctx context.Context, c *redactor.Client, replica string) error {
	for {
		err := c.DoOn(ctx, replica, "CONFIG", "SET", "masteruser", "", "masterauth", "").Err
		if !errors.Is(err, redactor.ErrUnknownNode) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

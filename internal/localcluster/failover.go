package localcluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

const (
	// defaultFailoverTimeout bounds Failover when ctx has no deadline.
	defaultFailoverTimeout = 30 * time.Second
	// failoverRetry is how long Failover waits for the replica to take over
	// before it sends CLUSTER FAILOVER again: a manual failover that has not
	// completed after 5s (CLUSTER_MF_TIMEOUT) is aborted by the replica.
	failoverRetry = 6 * time.Second
)

// ErrNotReplica is returned (wrapped) by Failover for a node that is not a
// replica.
var ErrNotReplica = errors.New("localcluster: not a replica")

// Failover promotes the replica at client address replicaAddr with a manual
// CLUSTER FAILOVER, which loses no acknowledged write: its master stops
// serving clients until the replica has caught up, then the two swap roles.
// Failover waits until every live node sees the replica as a master and its
// former master as a replica of it, then until the cluster is healthy
// (WaitHealthy), so that Nodes and Addrs reflect the new roles. If ctx has no
// deadline, Failover gives up after 30s.
func (c *Cluster) Failover(ctx context.Context, replicaAddr string) error {
	n, err := c.nodeByAddr(replicaAddr)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultFailoverTimeout)
		defer cancel()
	}
	view, err := n.view(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(view, func(e nodeEntry) bool { return e.has("myself") })
	if i < 0 || !view[i].has("slave") {
		return fmt.Errorf("localcluster: failover: %w: %s", ErrNotReplica, n.name())
	}
	masterID := view[i].MasterID
	begin := time.Now()
	var sent time.Time
	err = c.poll(ctx, "failover to "+n.name(), func(ctx context.Context) error {
		if time.Since(sent) > failoverRetry {
			if _, err := n.client.str(ctx, "CLUSTER", "FAILOVER"); err != nil {
				return permanentError{fmt.Errorf("localcluster: failover: %w", err)}
			}
			sent = time.Now()
		}
		return c.checkSwapped(ctx, n.info.ID, masterID)
	})
	if err != nil {
		return err
	}
	if err := c.WaitHealthy(ctx); err != nil {
		return err
	}
	c.cfg.Logf("localcluster: failover to %s done in %s", n.name(), time.Since(begin).Round(time.Millisecond))
	return nil
}

// checkSwapped returns nil once every live node sees newID as a master and
// oldID, unless killed, as a replica of newID.
func (c *Cluster) checkSwapped(ctx context.Context, newID, oldID string) error {
	live, err := c.live()
	if err != nil {
		return permanentError{err}
	}
	oldLive := slices.ContainsFunc(live, func(n *node) bool { return n.info.ID == oldID })
	for _, n := range live {
		view, err := n.view(ctx)
		if err != nil {
			return err
		}
		for _, e := range view {
			switch {
			case e.ID == newID && !e.has("master"):
				return fmt.Errorf("localcluster: %s does not see %s as a master yet", n.name(), newID)
			case e.ID == oldID && oldLive && (!e.has("slave") || e.MasterID != newID):
				return fmt.Errorf("localcluster: %s does not see %s as a replica of %s yet", n.name(), oldID, newID)
			}
		}
	}
	return nil
}

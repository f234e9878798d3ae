package localcluster

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// pollInterval is the pause between two checks of a condition.
const pollInterval = 25 * time.Millisecond

// permanentError makes poll give up at once.
type permanentError struct{ err error }

// Error implements error.
func (e permanentError) Error() string { return e.err.Error() }

// poll runs check every pollInterval until it returns nil, returns a
// permanentError or ctx is done.
func poll(ctx context.Context, what string, check func(context.Context) error) error {
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		if p, ok := asType[permanentError](err); ok {
			return p.err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("localcluster: waiting for %s: %w; last error: %w", what, ctx.Err(), err)
		case <-time.After(pollInterval):
		}
	}
}

// poll is like the function poll, but also gives up at once when the cluster
// was stopped or a node exited unexpectedly.
func (c *Cluster) poll(ctx context.Context, what string, check func(context.Context) error) error {
	return poll(ctx, what, func(ctx context.Context) error {
		if err := c.checkAlive(); err != nil {
			return err
		}
		return check(ctx)
	})
}

// checkAlive returns a permanentError when the cluster was stopped or a node
// that was not killed has exited.
func (c *Cluster) checkAlive() error {
	live, err := c.live()
	if err != nil {
		return permanentError{err}
	}
	for _, n := range live {
		if n.proc.exited() {
			return permanentError{n.proc.exitError(n.name())}
		}
	}
	return nil
}

// waitPing waits until the node answers PING.
func (n *node) waitPing(ctx context.Context) error {
	return poll(ctx, n.name()+" to answer PING", func(ctx context.Context) error {
		if n.proc.exited() {
			return permanentError{n.proc.exitError(n.name())}
		}
		_, err := n.client.str(ctx, "PING")
		return err
	})
}

// waitKnown waits until every node knows every other node, handshakes done.
func (c *Cluster) waitKnown(ctx context.Context) error {
	return c.poll(ctx, "all nodes to know each other", func(ctx context.Context) error {
		for _, n := range c.nodes {
			view, err := n.view(ctx)
			if err != nil {
				return err
			}
			known := 0
			for _, e := range view {
				if e.has("handshake") || e.has("noaddr") {
					return fmt.Errorf("localcluster: %s: handshake with %s in progress", n.name(), e.ID)
				}
				if slices.ContainsFunc(c.nodes, func(m *node) bool { return m.info.ID == e.ID }) {
					known++
				}
			}
			if known != len(c.nodes) {
				return fmt.Errorf("localcluster: %s knows %d of %d nodes", n.name(), known, len(c.nodes))
			}
		}
		return nil
	})
}

// waitReplicas waits until every node sees every replica as a replica of its
// master and every replica's replication link is up.
func (c *Cluster) waitReplicas(ctx context.Context) error {
	if c.cfg.Replicas == 0 {
		return nil
	}
	return c.poll(ctx, "replicas to attach", func(ctx context.Context) error {
		for _, n := range c.nodes {
			view, err := n.view(ctx)
			if err != nil {
				return err
			}
			for i, r := range c.nodes {
				m := c.masterOf(i)
				if m < 0 {
					continue
				}
				want := c.nodes[m].info.ID
				j := slices.IndexFunc(view, func(e nodeEntry) bool { return e.ID == r.info.ID })
				if j < 0 || !view[j].has("slave") || view[j].MasterID != want {
					return fmt.Errorf("localcluster: %s does not see %s as a replica of %s yet", n.name(), r.name(), want)
				}
			}
		}
		for i, r := range c.nodes {
			if c.masterOf(i) < 0 {
				continue
			}
			s, err := r.client.str(ctx, "INFO", "replication")
			if err != nil {
				return err
			}
			if status := parseInfo(s)["master_link_status"]; status != "up" {
				return fmt.Errorf("localcluster: %s: master_link_status:%s", r.name(), status)
			}
		}
		return nil
	})
}

// WaitHealthy waits until every live (not killed) node reports cluster_state:ok
// with all 16384 slots assigned and ok, and all of them see the same slot map
// in CLUSTER NODES, whose slot owners are live nodes not flagged as failing.
// After a Kill, it thus waits for the failover to complete (forever, until
// ctx is done, when the killed master had no replica). On success it
// updates the roles reported by Nodes and Addrs. It returns at once if a node
// exited without Kill or the cluster was stopped.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	var agreed []nodeEntry
	err := c.poll(ctx, "cluster to be healthy", func(ctx context.Context) error {
		live, err := c.live()
		if err != nil {
			return permanentError{err}
		}
		liveIDs := make(map[string]bool, len(live))
		for _, n := range live {
			liveIDs[n.info.ID] = true
		}
		var first string
		for i, n := range live {
			view, err := c.healthyView(ctx, n, liveIDs)
			if err != nil {
				return err
			}
			m, err := slotMap(view)
			if err != nil {
				return fmt.Errorf("%s: %w", n.name(), err)
			}
			if i == 0 {
				first, agreed = m, view
			} else if m != first {
				return fmt.Errorf("localcluster: %s and %s disagree on the slot map", live[0].name(), n.name())
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.apply(agreed)
	return nil
}

// healthyView returns the CLUSTER NODES view of n if its CLUSTER INFO is ok
// and all the slot owners it sees are live and not failing.
func (c *Cluster) healthyView(ctx context.Context, n *node, liveIDs map[string]bool) ([]nodeEntry, error) {
	s, err := n.client.str(ctx, "CLUSTER", "INFO")
	if err != nil {
		return nil, err
	}
	info := parseInfo(s)
	want := strconv.Itoa(maxSlots)
	if info["cluster_state"] != "ok" || info["cluster_slots_assigned"] != want || info["cluster_slots_ok"] != want {
		return nil, fmt.Errorf("localcluster: %s: cluster_state:%s cluster_slots_assigned:%s cluster_slots_ok:%s",
			n.name(), info["cluster_state"], info["cluster_slots_assigned"], info["cluster_slots_ok"])
	}
	view, err := n.view(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range view {
		if len(e.Slots) == 0 {
			continue
		}
		if !liveIDs[e.ID] || e.has("fail") || e.has("fail?") {
			return nil, fmt.Errorf("localcluster: %s: slots still owned by dead or failing node %s %v", n.name(), e.ID, e.Flags)
		}
	}
	return view, nil
}

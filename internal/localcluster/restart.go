package localcluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// ErrNotKilled is returned (wrapped) by Restart for a node that Kill did not
// stop.
var ErrNotKilled = errors.New("localcluster: node not killed")

// defaultRestartTimeout bounds Restart when ctx has no deadline.
const defaultRestartTimeout = 30 * time.Second

// Restart starts again a node that Kill stopped, on the same ports and in
// the same directory, with its cluster config file: as a crashed server
// that comes back. It comes back empty (nodes persist no data) with its old
// view of the cluster. A master whose slots a replica took over meanwhile
// learns so from the others and becomes a replica of that new master,
// copying its data; a replica rejoins its master. Restart returns once the
// node answers, every live node sees it as healthy, its replication link
// (for a replica) is up and the cluster is healthy (WaitHealthy), with Nodes
// and Addrs updated. If ctx has no deadline, it gives up after 30s. It must
// not run at the same time as another call naming the same node.
func (c *Cluster) Restart(ctx context.Context, addr string) error {
	n, err := c.nodeByAddr(addr)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultRestartTimeout)
		defer cancel()
	}
	bin, err := findRedisServer(c.cfg.RedisServer)
	if err != nil {
		return err
	}
	c.mu.Lock()
	killed, stopped := n.info.Killed, c.stopped
	c.mu.Unlock()
	switch {
	case stopped:
		return errStopped
	case !killed:
		return fmt.Errorf("localcluster: restart %s: %w", addr, ErrNotKilled)
	}
	begin := time.Now()
	dir := filepath.Join(c.dir, strconv.Itoa(n.info.Port))
	logFile := filepath.Join(dir, "redis.log")
	proc, err := startProcess(bin, dir, logFile, c.serverArgs(n.info.Port, n.info.BusPort, n.info.AnnouncePort, dir, logFile))
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.stopped { // Stop ran meanwhile and did not see this process
		c.mu.Unlock()
		return errors.Join(errStopped, proc.stop(stopGrace))
	}
	n.proc, n.client = proc, &client{addr: addr, dial: c.dial}
	n.info.Pid, n.info.Killed = proc.pid(), false
	c.mu.Unlock()
	if err := n.waitPing(ctx); err != nil {
		return err
	}
	if err := c.waitRejoined(ctx, n); err != nil {
		return err
	}
	if err := c.WaitHealthy(ctx); err != nil {
		return err
	}
	c.cfg.Logf("localcluster: restarted %s in %s", n.name(), time.Since(begin).Round(time.Millisecond))
	return nil
}

// waitRejoined waits until every live node sees n without a failure flag
// and in the same role (a replica of the same master, or a master), n sees
// itself so, and, when n is a replica, its replication link is up. A
// master that comes back with its old view claims its old slots until the
// others tell it who serves them now; until then the nodes disagree.
func (c *Cluster) waitRejoined(ctx context.Context, n *node) error {
	return c.poll(ctx, n.name()+" to rejoin", func(ctx context.Context) error {
		live, err := c.live()
		if err != nil {
			return permanentError{err}
		}
		var role string
		for _, m := range live {
			view, err := m.view(ctx)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(view, func(e nodeEntry) bool { return e.ID == n.info.ID })
			if i < 0 {
				return fmt.Errorf("localcluster: %s does not know %s", m.name(), n.name())
			}
			for _, flag := range []string{"fail", "fail?", "handshake", "noaddr"} {
				if view[i].has(flag) {
					return fmt.Errorf("localcluster: %s sees %s as %s", m.name(), n.name(), flag)
				}
			}
			r := "master"
			if view[i].has("slave") {
				r = "replica of " + view[i].MasterID
			}
			if role != "" && r != role {
				return fmt.Errorf("localcluster: nodes disagree on the role of %s: %s, %s", n.name(), role, r)
			}
			role = r
		}
		s, err := n.client.str(ctx, "INFO", "replication")
		if err != nil {
			return err
		}
		info := parseInfo(s)
		if (info["role"] == "slave") != (role != "master") {
			return fmt.Errorf("localcluster: %s is %s, the cluster sees it as %s", n.name(), info["role"], role)
		}
		if info["role"] == "slave" && info["master_link_status"] != "up" {
			return fmt.Errorf("localcluster: %s: master_link_status:%s", n.name(), info["master_link_status"])
		}
		return nil
	})
}

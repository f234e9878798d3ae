package localcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// defaultStartTimeout bounds Start when ctx has no deadline.
	defaultStartTimeout = time.Minute
	// launchAttempts is how many times a node is started on fresh ports when
	// another process took its port between freePort and redis-server's bind.
	launchAttempts = 3
)

// Start starts a Redis Cluster as described by cfg and returns once it is
// healthy (see WaitHealthy), every replica is attached to its master and
// every node knows every other. If ctx has no deadline, Start gives up after
// a minute. On failure everything started is stopped again and the error
// includes the tail of the log of a node that exited early.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	bin, err := findRedisServer(cfg.RedisServer)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	dir, err := os.MkdirTemp(cfg.Dir, "localcluster-")
	if err != nil {
		return nil, fmt.Errorf("localcluster: create temp dir: %w", err)
	}
	c := &Cluster{cfg: cfg, dir: dir}
	begin := time.Now()
	if err := c.start(ctx, bin); err != nil {
		if stopErr := c.Stop(); stopErr != nil {
			cfg.Logf("localcluster: cleanup after failed start: %v", stopErr)
		}
		return nil, err
	}
	cfg.Logf("localcluster: %d masters × %d replicas up in %s: %s (dir %s)",
		cfg.Masters, cfg.Replicas, time.Since(begin).Round(time.Millisecond), strings.Join(c.Addrs(), " "), dir)
	return c, nil
}

// start launches the nodes and forms the cluster.
func (c *Cluster) start(ctx context.Context, bin string) error {
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return c.launch(ctx, bin) },
		c.meet,
		c.assignSlots,
		c.waitKnown,
		c.replicate,
		c.waitReplicas,
		c.WaitHealthy,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// launch starts all nodes concurrently: masters first, then the replicas of
// the first master, of the second, and so on.
func (c *Cluster) launch(ctx context.Context, bin string) error {
	c.nodes = make([]*node, c.cfg.Masters*(1+c.cfg.Replicas))
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i := range c.nodes {
		wg.Go(func() { c.nodes[i], errs[i] = c.launchNode(ctx, bin, i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// launchNode starts node i, waits until it answers PING and reads its ID. A
// master gets config epoch i+1, so that masters never need to resolve epoch
// collisions. It returns the node, if started, even on error.
func (c *Cluster) launchNode(ctx context.Context, bin string, i int) (*node, error) {
	for attempt := 1; ; attempt++ {
		n, err := c.startNode(bin)
		if err != nil {
			return n, err
		}
		err = n.waitPing(ctx)
		if err != nil && n.proc.exited() && attempt < launchAttempts &&
			strings.Contains(n.proc.logTail(), "Address already in use") {
			c.cfg.Logf("localcluster: %s: port taken meanwhile, retrying on other ports", n.name())
			n.client.close()
			continue
		}
		if err != nil {
			return n, err
		}
		if n.info.ID, err = n.client.str(ctx, "CLUSTER", "MYID"); err != nil {
			return n, err
		}
		if i < c.cfg.Masters {
			if _, err := n.client.str(ctx, "CLUSTER", "SET-CONFIG-EPOCH", strconv.Itoa(i+1)); err != nil {
				return n, err
			}
		}
		return n, nil
	}
}

// startNode starts one redis-server on fresh ports, in its own directory.
func (c *Cluster) startNode(bin string) (*node, error) {
	port, busPort, err := freePorts()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(c.dir, strconv.Itoa(port))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("localcluster: create node dir: %w", err)
	}
	announcePort := port
	if c.cfg.AnnouncePort != nil {
		announcePort = c.cfg.AnnouncePort(port)
	}
	logFile := filepath.Join(dir, "redis.log")
	proc, err := startProcess(bin, dir, logFile, c.serverArgs(port, busPort, announcePort, dir, logFile))
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	return &node{
		info: Node{
			Addr:         addr,
			Port:         port,
			BusPort:      busPort,
			AnnouncePort: announcePort,
			Master:       true,
			Pid:          proc.pid(),
		},
		firstSlot: -1,
		proc:      proc,
		client:    &client{addr: addr, dial: c.dial},
	}, nil
}

// serverArgs returns the command line of a node.
func (c *Cluster) serverArgs(port, busPort, announcePort int, dir, logFile string) []string {
	p, b := strconv.Itoa(port), strconv.Itoa(busPort)
	args := []string{
		"--port", p,
		"--bind", "127.0.0.1",
		"--protected-mode", "no",
		"--daemonize", "no",
		"--dir", dir,
		"--logfile", logFile,
		"--cluster-enabled", "yes",
		"--cluster-port", b,
		"--cluster-config-file", "nodes-" + p + ".conf",
		"--cluster-node-timeout", strconv.FormatInt(c.cfg.NodeTimeout.Milliseconds(), 10),
		"--cluster-announce-ip", "127.0.0.1",
		"--cluster-replica-validity-factor", "0",
		"--appendonly", "no",
		"--save", "",
		"--repl-diskless-sync-delay", "0",
		"--shutdown-timeout", "0",
		"--enable-debug-command", "local",
	}
	if c.cfg.AnnouncePort != nil {
		args = append(args,
			"--cluster-announce-port", strconv.Itoa(announcePort),
			"--cluster-announce-bus-port", b)
	}
	if pw := c.cfg.Password; pw != "" {
		args = append(args, "--requirepass", pw, "--masterauth", pw)
	}
	if t := c.cfg.TLS; t != nil {
		args[1] = "0" // "--port": TLS only
		args = append(args, "--tls-port", p, "--tls-cluster", "yes", "--tls-replication", "yes",
			"--tls-cert-file", t.CertFile, "--tls-key-file", t.KeyFile, "--tls-ca-cert-file", t.CAFile,
			"--tls-auth-clients", "no")
	}
	return append(args, c.cfg.ServerArgs...)
}

// meet introduces every node to the first one; gossip does the rest.
func (c *Cluster) meet(ctx context.Context) error {
	first := c.nodes[0].info
	for _, n := range c.nodes[1:] {
		if _, err := n.client.str(ctx, "CLUSTER", "MEET", "127.0.0.1",
			strconv.Itoa(first.Port), strconv.Itoa(first.BusPort)); err != nil {
			return err
		}
	}
	return nil
}

// assignSlots gives master i the slots [i*16384/Masters, (i+1)*16384/Masters).
func (c *Cluster) assignSlots(ctx context.Context) error {
	m := c.cfg.Masters
	for i, n := range c.nodes[:m] {
		lo, hi := i*maxSlots/m, (i+1)*maxSlots/m-1
		if _, err := n.client.str(ctx, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi)); err != nil {
			return err
		}
		c.mu.Lock()
		n.firstSlot = lo
		c.mu.Unlock()
	}
	return nil
}

// masterOf returns the index of the master of node i, or -1 for a master.
func (c *Cluster) masterOf(i int) int {
	if i < c.cfg.Masters {
		return -1
	}
	return (i - c.cfg.Masters) / c.cfg.Replicas
}

// replicate makes each replica node replicate its master, retrying until the
// replica knows the master as a master.
func (c *Cluster) replicate(ctx context.Context) error {
	for i, n := range c.nodes {
		m := c.masterOf(i)
		if m < 0 {
			continue
		}
		masterID := c.nodes[m].info.ID
		err := c.poll(ctx, "CLUSTER REPLICATE on "+n.name(), func(ctx context.Context) error {
			_, err := n.client.str(ctx, "CLUSTER", "REPLICATE", masterID)
			return err
		})
		if err != nil {
			return err
		}
		c.mu.Lock()
		n.info.Master, n.info.MasterID = false, masterID
		c.mu.Unlock()
	}
	return nil
}

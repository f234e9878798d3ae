//go:build soak

package soak

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/internal/proxy"
)

// env is the soak's cluster: every node behind a proxy that its announced
// port points to, so that clients and replicas reach it through the proxy.
type env struct {
	lc *localcluster.Cluster

	mu      sync.Mutex
	proxies map[int]*proxy.Proxy // by the node's own port
	err     error                // the first proxy that could not start
}

// startEnv starts the cluster and its proxies, stopped when t ends.
func startEnv(t *testing.T) *env {
	e := &env{proxies: map[int]*proxy.Proxy{}}
	t.Cleanup(e.closeProxies)
	lc := localcluster.StartT(t, localcluster.Config{
		Masters:      3,
		Replicas:     1,
		AnnouncePort: e.announce,
	})
	if e.err != nil {
		t.Fatal(e.err)
	}
	e.lc = lc
	return e
}

// announce starts the proxy of the node at port and returns its port.
func (e *env) announce(port int) int {
	p, err := proxy.Start(proxy.Config{Target: "127.0.0.1:" + strconv.Itoa(port)})
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.err = fmt.Errorf("proxy for port %d: %w", port, err)
		return port
	}
	e.proxies[port] = p
	return p.Port()
}

func (e *env) closeProxies() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range e.proxies {
		_ = p.Close()
	}
}

// seeds returns the proxies' addresses of the masters, for the client.
func (e *env) seeds() []string {
	var seeds []string
	for _, n := range e.lc.Nodes() {
		if n.Master && !n.Killed {
			seeds = append(seeds, "127.0.0.1:"+strconv.Itoa(n.AnnouncePort))
		}
	}
	return seeds
}

// proxyOf returns the proxy in front of the node.
func (e *env) proxyOf(n localcluster.Node) *proxy.Proxy {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.proxies[n.Port]
}

// nodes returns the live masters that serve slots (as of the last
// WaitHealthy), or the live replicas of those masters. A restarted node
// that still claims to be a master without slots is neither.
func (e *env) nodes(masters bool) []localcluster.Node {
	serving := map[string]bool{}
	for _, a := range e.lc.Addrs() {
		serving[a] = true
	}
	ids := map[string]bool{}
	for _, n := range e.lc.Nodes() {
		if serving[n.Addr] {
			ids[n.ID] = true
		}
	}
	var out []localcluster.Node
	for _, n := range e.lc.Nodes() {
		switch {
		case n.Killed:
		case masters && serving[n.Addr]:
			out = append(out, n)
		case !masters && !n.Master && ids[n.MasterID]:
			out = append(out, n)
		}
	}
	return out
}

// replicasOf returns the live replicas of the master.
func (e *env) replicasOf(master localcluster.Node) []localcluster.Node {
	var out []localcluster.Node
	for _, n := range e.lc.Nodes() {
		if !n.Killed && !n.Master && n.MasterID == master.ID {
			out = append(out, n)
		}
	}
	return out
}

// waitLinks waits until the live replicas of master have their
// replication link up to it.
func (e *env) waitLinks(ctx context.Context, master localcluster.Node) error {
	want := "master_port:" + strconv.Itoa(master.AnnouncePort)
	for {
		var errs []string
		for _, r := range e.replicasOf(master) {
			var s string
			err := e.lc.Do(ctx, r.Addr, &s, "INFO", "replication")
			switch {
			case err != nil:
				errs = append(errs, err.Error())
			case !strings.Contains(s, "role:slave") || !strings.Contains(s, want):
				return fmt.Errorf("%s is no replica of %s any more", r.Addr, master.Addr)
			case !strings.Contains(s, "master_link_status:up"):
				errs = append(errs, r.Addr+": link down")
			}
		}
		if len(errs) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replicas of %s: %s: %w", master.Addr, strings.Join(errs, "; "), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// heal ends every fault and restarts every killed node, then waits until
// the cluster is healthy and every replica's link is up.
func (e *env) heal(ctx context.Context) error {
	e.mu.Lock()
	for _, p := range e.proxies {
		p.Blackhole(false)
		p.Refuse(false)
	}
	e.mu.Unlock()
	for _, n := range e.lc.Nodes() {
		if n.Killed {
			if err := e.lc.Restart(ctx, n.Addr); err != nil {
				return err
			}
		}
	}
	if err := e.lc.WaitHealthy(ctx); err != nil {
		return err
	}
	for _, m := range e.nodes(true) {
		if err := e.waitLinks(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// describe lists, for each live node, its role, its proxy's open links and
// the connections the node has (CLIENT LIST), to tell who holds which.
func (e *env) describe(ctx context.Context) string {
	var b strings.Builder
	for _, n := range e.lc.Nodes() {
		if n.Killed {
			continue
		}
		fmt.Fprintf(&b, "  %s %s: proxy links %d\n", role(n), n.Addr, e.proxyOf(n).Stats().Open)
		var list string
		if err := e.lc.Do(ctx, n.Addr, &list, "CLIENT", "LIST"); err != nil {
			fmt.Fprintf(&b, "    CLIENT LIST: %v\n", err)
			continue
		}
		for line := range strings.Lines(list) {
			var keep []string
			for _, f := range strings.Fields(line) {
				k, _, _ := strings.Cut(f, "=")
				switch k {
				case "addr", "age", "idle", "flags", "cmd", "name":
					keep = append(keep, f)
				}
			}
			fmt.Fprintf(&b, "    %s\n", strings.Join(keep, " "))
		}
	}
	return b.String()
}

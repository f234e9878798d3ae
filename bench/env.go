package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/internal/proxy"
)

// env is a local cluster the benchmark started, with or without a delaying
// proxy in front of every master.
type env struct {
	cluster *localcluster.Cluster
	// proxies are in front of the masters, in slot order; nil when direct.
	proxies []*proxy.Proxy
	// extra are proxies started for ports that the cluster then gave up
	// (localcluster retries a node on fresh ports when its port was taken).
	extra []*proxy.Proxy
}

// startEnv starts a cluster of masters (no replicas). When proxied, each
// node announces the port of a proxy in front of it, so that every client
// talks through the proxies; the cluster bus and localcluster's own
// connections stay direct.
func startEnv(ctx context.Context, masters int, proxied bool) (*env, error) {
	e := &env{}
	cfg := localcluster.Config{Masters: masters}
	var (
		mu       sync.Mutex
		byTarget = map[string]*proxy.Proxy{}
		errs     []error
	)
	if proxied {
		// Called from the node-launching goroutines, before the node runs:
		// the proxy dials its target only when a client connects.
		cfg.AnnouncePort = func(port int) int {
			target := "127.0.0.1:" + strconv.Itoa(port)
			p, err := proxy.Start(proxy.Config{Target: target})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return port
			}
			byTarget[target] = p
			return p.Port()
		}
	}
	c, err := localcluster.Start(ctx, cfg)
	if err == nil {
		err = errors.Join(errs...)
	}
	e.cluster = c
	for _, addr := range clusterAddrs(c) {
		if p, ok := byTarget[addr]; ok {
			e.proxies = append(e.proxies, p)
			delete(byTarget, addr)
		} else if proxied && err == nil {
			err = fmt.Errorf("no proxy in front of master %s", addr)
		}
	}
	for _, p := range byTarget {
		e.extra = append(e.extra, p)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start %d-master cluster: %w", masters, err), e.close())
	}
	return e, nil
}

// clusterAddrs returns c.Addrs(), or nothing when c is nil.
func clusterAddrs(c *localcluster.Cluster) []string {
	if c == nil {
		return nil
	}
	return c.Addrs()
}

// seeds returns the addresses clients start from: the proxies' when proxied.
func (e *env) seeds() []string {
	if e.proxies == nil {
		return e.cluster.Addrs()
	}
	addrs := make([]string, len(e.proxies))
	for i, p := range e.proxies {
		addrs[i] = p.Addr()
	}
	return addrs
}

// masters returns the number of masters.
func (e *env) masters() int { return len(e.cluster.Addrs()) }

// setDelay sets every proxy's delay from d.
func (e *env) setDelay(d delaySetting) {
	for i, p := range e.proxies {
		p.SetDelay(d.of(i))
	}
}

// close stops the proxies, then the cluster. It may be called on a partly
// started env.
func (e *env) close() error {
	var errs []error
	for _, p := range append(e.proxies, e.extra...) {
		errs = append(errs, p.Close())
	}
	e.proxies, e.extra = nil, nil
	if e.cluster != nil {
		errs = append(errs, e.cluster.Stop())
	}
	return errors.Join(errs...)
}

// settle waits until every master answers a PING through its seed address,
// so that the first measurement does not pay for connection setup.
func (e *env) settle(ctx context.Context) error {
	for _, addr := range e.seeds() {
		if _, err := pingRTT(ctx, addr, 1); err != nil {
			return err
		}
	}
	return nil
}

// rtt measures the PING round trip through every seed address (proxy or
// node) with a raw connection and returns the median of each.
func (e *env) rtt(ctx context.Context, samples int) ([]time.Duration, error) {
	var out []time.Duration
	for _, addr := range e.seeds() {
		d, err := pingRTT(ctx, addr, samples)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

package redactor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/redactor-go/redactor/actors"
)

// Node is a node of the cluster's layout, as the client last loaded it.
type Node struct {
	// Addr is the node's client address, "host:port".
	Addr string
	// Master is the address of the master the node belongs to: its own
	// for a master.
	Master string
}

// IsMaster reports whether the node is a master.
func (n Node) IsMaster() bool { return n.Addr == n.Master }

// Nodes returns the cluster's nodes as the client last loaded them: each
// master followed by its replicas. Replicas are listed once the cluster
// reports them healthy.
func (c *Client) Nodes() []Node {
	routes := c.routes.Load()
	if routes == nil {
		return nil
	}
	var nodes []Node
	for _, s := range routes.Map.Shards() {
		nodes = append(nodes, Node{Addr: s.Master, Master: s.Master})
		for _, r := range s.Replicas {
			nodes = append(nodes, Node{Addr: r, Master: s.Master})
		}
	}
	return nodes
}

// ForEachMaster calls fn once for each master, all at once, and returns
// when every call has; its error joins theirs. Use it, with DoOn, for
// commands whose answer is each node's own: fn(ctx, addr) can run
// c.DoOn(ctx, addr, "INFO", "memory"), say.
func (c *Client) ForEachMaster(ctx context.Context, fn func(ctx context.Context, addr string) error) error {
	return c.forEach(ctx, fn, Node.IsMaster)
}

// ForEachNode is ForEachMaster over every node, replicas too.
func (c *Client) ForEachNode(ctx context.Context, fn func(ctx context.Context, addr string) error) error {
	return c.forEach(ctx, fn, func(Node) bool { return true })
}

func (c *Client) forEach(ctx context.Context, fn func(context.Context, string) error, keep func(Node) bool) error {
	select {
	case <-c.closed:
		return ErrClosed
	default:
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, n := range c.Nodes() {
		if !keep(n) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx, n.Addr); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", n.Addr, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// DoOn runs one command on the node at addr (a master or a replica, as
// Nodes lists them) and returns its Result. Nothing is routed or fanned
// out, and no redirect is followed: a MOVED is the command's result. Unlike
// Do, it runs the commands that act on the node they reach (SCAN, CONFIG
// REWRITE, CLUSTER FAILOVER, SHUTDOWN); commands that would change the
// shared connection's state still get ErrNotPipelinable. An address that is
// not a node of the layout gets ErrUnknownNode.
func (c *Client) DoOn(ctx context.Context, addr string, cmd string, args ...string) Result {
	if !c.isNode(addr) {
		return Result{Err: fmt.Errorf("%w: %s", ErrUnknownNode, addr)}
	}
	e := &actors.Exec{Commands: [][]string{append([]string{cmd}, args...)}, Node: addr}
	results, _, err := c.exec(ctx, e, make(chan *actors.Exec, 1), c.mayBlock(e.Commands))
	if len(results) == 1 {
		return results[0]
	}
	return Result{Err: err}
}

// isNode reports whether addr is a node of the current layout.
func (c *Client) isNode(addr string) bool {
	routes := c.routes.Load()
	if routes == nil {
		return false
	}
	for _, s := range routes.Map.Shards() {
		if s.Master == addr || slices.Contains(s.Replicas, addr) {
			return true
		}
	}
	return false
}

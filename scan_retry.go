package redactor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// Backoff between attempts while slots settle or nodes fail.
const (
	minScanBackoff = 5 * time.Millisecond
	maxScanBackoff = 250 * time.Millisecond
)

// settle runs when no master the client knows of has a slot to scan now:
// their slots are migrating, a failover is under way, or the client's
// layout is stale. It waits, loads the layout again, and counts as scanned
// the slots that no node serves.
func (it *ScanIterator) settle(ctx context.Context) {
	routes, ok := it.wait(ctx)
	if !ok || routes == nil {
		return
	}
	clear(it.idle)
	var unserved slotSet
	for slot := range topology.SlotCount {
		if !it.done.has(slot) && routes.Map.Master(uint16(slot)) == "" {
			unserved.add(slot)
		}
	}
	if unserved.count() == 0 {
		return
	}
	// The layout leaves out masters that failed; their nodes still claim
	// their slots, and the scan waits for the failover.
	for _, s := range routes.Map.Shards() {
		st, err := it.c.nodeState(ctx, s.Master)
		if err != nil {
			continue
		}
		unserved.remove(&st.claimed)
		it.done.union(&unserved)
		return
	}
}

// failed handles an error of a node: the scan stops on one that will not
// pass; otherwise it waits, loads the layout again, and goes on, dropping
// the pass when its node is no longer a master.
func (it *ScanIterator) failed(ctx context.Context, err error) {
	switch {
	case ctx.Err() != nil:
		it.err = fmt.Errorf("redactor: scan: %w", ctx.Err())
		return
	case errors.Is(err, ErrClosed):
		it.err = ErrClosed
		return
	case !retryableScanError(err):
		it.err = fmt.Errorf("redactor: scan: %w", err)
		return
	case it.failingSince.IsZero():
		it.failingSince = time.Now()
	case time.Since(it.failingSince) > it.c.cfg.RetryTimeout:
		it.err = fmt.Errorf("redactor: scan: nodes failing for over %v: %w", it.c.cfg.RetryTimeout, err)
		return
	}
	routes, ok := it.wait(ctx)
	if !ok {
		return
	}
	if it.pass != nil && !servesSlots(routes, it.pass.addr) {
		it.pass, it.page = nil, nil
	}
}

// servesSlots reports whether addr is a master with slots in routes.
func servesSlots(routes *topology.Routes, addr string) bool {
	if routes == nil {
		return false
	}
	for _, s := range routes.Map.Shards() {
		if s.Master == addr {
			return true
		}
	}
	return false
}

// wait pauses for a growing backoff, then loads the layout again. It
// returns the layout, and false when the scan must stop (its ctx ended, the
// client closed).
func (it *ScanIterator) wait(ctx context.Context) (*topology.Routes, bool) {
	it.backoff = min(max(2*it.backoff, minScanBackoff), maxScanBackoff)
	timer := time.NewTimer(it.backoff)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		it.err = fmt.Errorf("redactor: scan: %w", ctx.Err())
		return nil, false
	case <-it.c.closed:
		it.err = ErrClosed
		return nil, false
	}
	routes, err := it.c.refresh(ctx)
	switch {
	case err == nil:
		return routes, true
	case ctx.Err() != nil:
		it.err = fmt.Errorf("redactor: scan: %w", ctx.Err())
		return nil, false
	case errors.Is(err, ErrClosed):
		it.err = ErrClosed
		return nil, false
	}
	// No node answered: go on with the layout the client has, whose
	// nodes fail in turn until Config.RetryTimeout.
	return it.c.routes.Load(), true
}

// retryableScanError reports whether err, from a node Scan talks to, may
// pass: the node is unreachable or busy, or left the layout.
func retryableScanError(err error) bool {
	if e, ok := resp.AsError(err); ok {
		return e.IsRedirect() || e.IsUnavailable()
	}
	return !errors.Is(err, ErrClosed) && !errors.Is(err, ErrNotPipelinable) &&
		!errors.Is(err, errNodeState) && !errors.Is(err, errScanReply) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

package redactor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redactor-go/redactor/topology"
)

// ScanOptions says which keys Client.Scan returns. Its zero value returns
// every key, from the start.
type ScanOptions struct {
	// Match, when set, returns only the keys that match this glob-style
	// pattern (SCAN's MATCH), such as "user:*". Default: every key.
	Match string
	// Count is SCAN's COUNT hint: about how many keys a node looks at in
	// one round trip. Zero or negative: 100.
	Count int
	// Type, when set, returns only keys of this type (SCAN's TYPE):
	// "string", "list", "set", "zset", "hash", "stream", or a module
	// type's name. Default: keys of every type.
	Type string
	// Cursor, when set, carries on the scan that ScanIterator.Cursor
	// described; Match and Type must be the same as then. Default: a scan
	// from the start.
	Cursor string
}

// defaultScanCount is the COUNT a zero ScanOptions.Count stands for.
const defaultScanCount = 100

// Scan returns an iterator over the keys of the whole cluster:
//
//	it := c.Scan(redactor.ScanOptions{Match: "user:*"})
//	for it.Next(ctx) {
//		fmt.Println(it.Key())
//	}
//	if err := it.Err(); err != nil {
//		return err
//	}
//
// Scan keeps SCAN's promise across the cluster, even while slots migrate
// or masters fail over during the scan: when Next returns false with a nil
// Err, every key that existed (and matched) from the first Next to the last
// was returned at least once. Keys created or deleted meanwhile may or may
// not be returned, and a key may be returned more than once. Slots no node
// serves hold no key a client can read, and count as scanned.
//
// It scans one master at a time with SCAN, asking the master about itself
// (CLUSTER NODES, INFO) before and after, and counts a slot as scanned only
// when the master held it, with all of its keys, for the whole time: it
// served the slot, neither migrating nor importing, at both ends, and
// nothing in between can have taken a key out and put it back (no key
// migrated in, by RESTORE-ASKING or RESTORE; no restart, failover or new
// config epoch). Other slots are scanned again where they are served then.
// So a scan during a resharding returns keys twice; a slot that stays
// migrating, or a master into which keys keep migrating, holds the scan
// up, and Next waits, with a backoff, until ctx ends. Next gives up, with
// the last error, once the masters it needs have failed for longer than
// Config.RetryTimeout.
//
// Keys come as SCAN returns them, one page of about Count keys at a time;
// nothing holds the whole keyspace. The user (ACL) needs SCAN, CLUSTER
// NODES and INFO.
func (c *Client) Scan(opts ScanOptions) *ScanIterator {
	it := &ScanIterator{c: c, idle: map[string]bool{}, optsSum: scanOptionsSum(opts)}
	if opts.Match != "" {
		it.args = append(it.args, "MATCH", opts.Match)
	}
	count := opts.Count
	if count <= 0 {
		count = defaultScanCount
	}
	it.args = append(it.args, "COUNT", strconv.Itoa(count))
	if opts.Type != "" {
		it.args = append(it.args, "TYPE", opts.Type)
	}
	if opts.Cursor != "" {
		it.err = it.resume(opts.Cursor)
	}
	return it
}

// ScanIterator walks the keys of the cluster; Client.Scan makes one. It is
// not safe for concurrent use.
type ScanIterator struct {
	c       *Client
	args    []string // SCAN's arguments after the cursor
	optsSum uint64   // Match and Type, to check a resumed cursor against

	// done are the slots whose keys have all been returned.
	done slotSet
	// pass is the master being scanned, nil between two.
	pass *scanPass
	// page holds the keys of the last SCAN reply not yet handed out.
	page     []string
	key      string
	err      error
	finished bool

	// idle are masters that had no slot to scan when last asked; they are
	// asked again after the next wait.
	idle         map[string]bool
	backoff      time.Duration
	failingSince time.Time
}

// scanPass is one complete SCAN of one master.
type scanPass struct {
	addr  string
	start nodeState
	// cursor is the SCAN cursor to send next, pageCursor the one the
	// current page came from.
	cursor, pageCursor string
	// ended is set once SCAN returned cursor 0.
	ended bool
}

// Next advances to the next key, which Key returns. It returns false when
// the scan is over, for good: Err then says whether it completed (nil) or
// why it stopped, such as ctx ending (Err wraps ctx.Err()) or the client
// closing (ErrClosed). To carry on after that, pass Cursor to a new Scan.
func (it *ScanIterator) Next(ctx context.Context) bool {
	it.key = ""
	for it.err == nil && !it.finished {
		if err := ctx.Err(); err != nil {
			it.err = fmt.Errorf("redactor: scan: %w", err)
			break
		}
		select {
		case <-it.c.closed:
			it.err = ErrClosed
			return false
		default:
		}
		for len(it.page) > 0 {
			k := it.page[0]
			it.page = it.page[1:]
			// A key of a slot already scanned was returned then.
			if !it.done.has(int(topology.Slot(k))) {
				it.key = k
				return true
			}
		}
		it.step(ctx)
	}
	return false
}

// Key returns the key Next advanced to; "" once Next returned false.
func (it *ScanIterator) Key() string { return it.key }

// Err returns why the scan stopped, or nil while it runs and after it
// completed.
func (it *ScanIterator) Err() error { return it.err }

// step does the next round trip of the scan.
func (it *ScanIterator) step(ctx context.Context) {
	switch {
	case it.pass == nil && it.done.full():
		it.finished = true
	case it.pass == nil:
		it.startPass(ctx)
	case !it.pass.ended:
		it.fetchPage(ctx)
	default:
		it.endPass(ctx)
	}
}

// startPass picks a master that the client's layout says serves slots not
// yet scanned, and asks it about itself. The pass starts if the master
// holds any of them still; otherwise it is left idle until the next wait.
func (it *ScanIterator) startPass(ctx context.Context) {
	addr := it.pickMaster()
	if addr == "" {
		it.settle(ctx)
		return
	}
	st, err := it.c.nodeState(ctx, addr)
	if err != nil {
		it.idle[addr] = true // the others go first
		it.failed(ctx, err)
		return
	}
	it.failingSince = time.Time{}
	offer := st.stable
	offer.remove(&it.done)
	if !st.master || offer.count() == 0 {
		it.idle[addr] = true
		return
	}
	it.pass = &scanPass{addr: addr, start: st, cursor: "0"}
}

// pickMaster returns the master, not idle, serving the first slot not yet
// scanned in the client's layout, or "" when there is none.
func (it *ScanIterator) pickMaster() string {
	routes := it.c.routes.Load()
	if routes == nil {
		return ""
	}
	for slot := 0; slot < topology.SlotCount; slot++ {
		if it.done[slot>>6] == ^uint64(0) {
			slot |= 63
			continue
		}
		if it.done.has(slot) {
			continue
		}
		if addr := routes.Map.Master(uint16(slot)); addr != "" && !it.idle[addr] {
			return addr
		}
	}
	return ""
}

// fetchPage runs SCAN once on the pass's master.
func (it *ScanIterator) fetchPage(ctx context.Context) {
	p := it.pass
	r := it.c.DoOn(ctx, p.addr, "SCAN", append([]string{p.cursor}, it.args...)...)
	if r.Err != nil {
		it.failed(ctx, r.Err)
		return
	}
	next, keys, err := parseScanReply(r.Value)
	if err != nil {
		it.err = fmt.Errorf("redactor: scan: %s: %w", p.addr, err)
		return
	}
	it.failingSince = time.Time{}
	p.pageCursor, p.cursor, p.ended = p.cursor, next, next == "0"
	it.page = keys
}

// errScanReply is a SCAN reply that is not [cursor, [key...]].
var errScanReply = errors.New("unexpected SCAN reply")

func parseScanReply(v any) (cursor string, keys []string, err error) {
	reply, ok := v.([]any)
	if !ok || len(reply) != 2 {
		return "", nil, fmt.Errorf("%w: %T", errScanReply, v)
	}
	cursor, ok = reply[0].(string)
	list, isList := reply[1].([]any)
	if !ok || !isList {
		return "", nil, fmt.Errorf("%w: [%T, %T]", errScanReply, reply[0], reply[1])
	}
	keys = make([]string, len(list))
	for i, k := range list {
		if keys[i], ok = k.(string); !ok {
			return "", nil, fmt.Errorf("%w: key of type %T", errScanReply, k)
		}
	}
	return cursor, keys, nil
}

// endPass asks the pass's master about itself again, now that SCAN went
// through all of it, and marks the slots it held all along as scanned.
func (it *ScanIterator) endPass(ctx context.Context) {
	p := it.pass
	end, err := it.c.nodeState(ctx, p.addr)
	if err != nil {
		it.failed(ctx, err)
		return
	}
	it.failingSince = time.Time{}
	it.pass = nil
	got := confirmedSlots(&p.start, &end)
	got.remove(&it.done)
	if got.count() == 0 {
		// Its slots moved meanwhile: scan the others first.
		it.idle[p.addr] = true
		return
	}
	it.done.union(&got)
	it.backoff = 0
}

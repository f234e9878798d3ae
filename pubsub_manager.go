package redactor

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

const (
	// pubsubCheckInterval is how often a subscription pings its
	// connections, checks that its shard channels are still on the
	// masters of their slots, and retries a notice that found no room.
	pubsubCheckInterval = time.Second
	// pubsubMinBackoff and pubsubMaxBackoff bound the wait before a
	// subscription tries again to subscribe channels that lost theirs.
	pubsubMinBackoff = 10 * time.Millisecond
	pubsubMaxBackoff = time.Second
)

// Requests of a Subscription's methods to its manager, and the note that
// a refresh it started ended.
type (
	// addRequest asks for channels, answered on done once all are
	// confirmed (nil) or one was refused for good.
	addRequest struct {
		channels []string
		done     chan error // buffered: one answer

		fresh    []string // the channels the request added; the manager's
		answered bool     // the manager's
	}
	// removeRequest asks to drop channels; done is closed once they are.
	removeRequest struct {
		channels []string
		done     chan struct{}
	}
	// cancelRequest withdraws an addRequest whose caller gave up: its
	// fresh channels are dropped and it is answered with err, unless it
	// was answered already.
	cancelRequest struct {
		add *addRequest
		err error
	}
	// refreshed: a load of the cluster's layout the manager asked for
	// ended.
	refreshed struct {
		routes *topology.Routes
		err    error
	}
)

// placement is where a wanted channel is subscribed.
type placement struct {
	conn      *psConn // where it is subscribed or being subscribed; nil: nowhere
	confirmed bool    // the server confirmed it on conn
	version   uint64  // the Routes version conn was chosen by (shard channels)
	// gap, when set, is why the channel lost a subscription it had: a
	// KindReconnected notice goes out when it is subscribed again.
	gap error
	// movedTo is where a MOVED answer sent the channel: tried before
	// what the slot map says.
	movedTo string
}

// subManager keeps a subscription's wanted channels subscribed. It runs
// in one goroutine and owns every field; connections and refreshes report
// to it on the subscription's events channel.
//
// Reconciling: a channel that has no connection (new, or lost by a broken
// connection, an unasked unsubscribe, a refused subscribe, a moved slot) is
// subscribed where it should live now: any master for channels and
// patterns (the one connection there is, if any), the master of its slot
// for shard channels (one connection per master, one SSUBSCRIBE per slot,
// as Redis refuses CROSSSLOT). After trouble it loads the layout again and
// retries with backoff.
type subManager struct {
	s    *Subscription
	ctx  context.Context // ended by Close: stops dials and refreshes
	mode *pubsubMode

	wanted map[string]*placement
	conns  map[string]*psConn // by address
	adds   []*addRequest      // unanswered
	wg     sync.WaitGroup     // connection and refresh goroutines

	backoff     time.Duration
	retryC      <-chan time.Time // nil: no retry scheduled
	needRefresh bool
	refreshing  bool
	next        int // which master the next connection for channels or patterns goes to
}

func newSubManager(ctx context.Context, s *Subscription) *subManager {
	return &subManager{
		s: s, ctx: ctx, mode: s.mode,
		wanted:  map[string]*placement{},
		conns:   map[string]*psConn{},
		backoff: pubsubMinBackoff,
	}
}

// run serves requests and events until the subscription closes, then
// closes the connections and waits for every goroutine it started.
func (m *subManager) run() {
	tick := time.NewTicker(pubsubCheckInterval)
	defer func() {
		tick.Stop()
		for _, pc := range m.conns {
			pc.close()
		}
		m.wg.Wait()
		close(m.s.done)
	}()
	for {
		select {
		case <-m.s.quit:
			return
		case msg := <-m.s.requests:
			m.receive(msg)
		case msg := <-m.s.events:
			m.receive(msg)
		case <-m.retryC:
			m.retryC = nil
			m.retryDue()
		case <-tick.C:
			m.check()
		}
	}
}

func (m *subManager) receive(msg any) {
	switch msg := msg.(type) {
	case *addRequest:
		m.add(msg)
	case *removeRequest:
		m.remove(msg.channels)
		close(msg.done)
	case *cancelRequest:
		m.withdraw(msg)
	case *subscribed:
		m.subscribed(msg)
	case *refused:
		m.refused(msg)
	case *dropped:
		m.lost(msg.conn, msg.channels, fmt.Errorf("redactor: %s: %s ended the subscription of %q unasked (its slot moved)",
			m.mode.subscribe, msg.conn.addr, msg.channels))
	case *broken:
		m.broken(msg)
	case *refreshed:
		m.refreshed(msg)
	}
}

// add makes the request's channels wanted and subscribes the new ones.
func (m *subManager) add(req *addRequest) {
	for _, ch := range req.channels {
		if _, ok := m.wanted[ch]; !ok {
			m.wanted[ch] = &placement{}
			m.s.setWanted(ch, true)
			req.fresh = append(req.fresh, ch)
		}
	}
	m.adds = append(m.adds, req)
	m.reconcile()
	m.answerAdds()
}

// remove drops channels from the wanted set and unsubscribes them, or
// closes connections left with nothing to listen to.
func (m *subManager) remove(channels []string) {
	routes := m.s.c.routes.Load()
	byConn := map[*psConn][]string{}
	for _, ch := range channels {
		p, ok := m.wanted[ch]
		if !ok {
			continue
		}
		delete(m.wanted, ch)
		m.s.setWanted(ch, false)
		if p.conn != nil {
			p.conn.drop(ch)
		}
		// A node that no longer serves a shard channel's slot has
		// dropped it (or will), and would answer MOVED.
		if p.conn != nil && (!m.mode.sharded || routes.Map.Master(topology.Slot(ch)) == p.conn.addr) {
			byConn[p.conn] = append(byConn[p.conn], ch)
		}
	}
	m.closeIdle()
	for pc, chs := range byConn {
		if m.conns[pc.addr] == pc {
			pc.send(m.commands(chs, true)...)
		}
	}
	m.answerAdds()
}

// withdraw drops the channels of an add whose caller gave up.
func (m *subManager) withdraw(req *cancelRequest) {
	if req.add.answered {
		return
	}
	// Answer first: remove answers the adds whose channels are all
	// confirmed or no longer wanted, which would answer this one nil.
	m.answer(req.add, req.err)
	// A channel another waiting call asks for stays wanted, as that
	// call's own (removing it would answer that call nil too, with the
	// channel unsubscribed); it goes if that call is withdrawn in turn.
	drop := slices.DeleteFunc(slices.Clone(req.add.fresh), func(ch string) bool {
		for _, other := range m.adds {
			if slices.Contains(other.channels, ch) {
				other.fresh = append(other.fresh, ch)
				return true
			}
		}
		return false
	})
	m.remove(drop)
}

// subscribed records the server's confirmation of a subscribe.
func (m *subManager) subscribed(ev *subscribed) {
	for _, ch := range ev.cmd.channels {
		if p := m.wanted[ch]; p != nil && p.conn == ev.conn && !p.confirmed {
			p.confirmed, p.gap, p.movedTo = true, nil, ""
		}
	}
	m.backoff = pubsubMinBackoff
	m.answerAdds()
}

// refused handles an error answer to a subscribe: a MOVED says where the
// channels live; other redirects and unavailability are retried; any
// other error fails the adds waiting for the channels.
func (m *subManager) refused(ev *refused) {
	_, movedTo, moved := ev.err.IsMoved()
	if moved {
		movedTo = resp.SameHost(movedTo, ev.conn.addr)
	}
	for _, ch := range ev.cmd.channels {
		if p := m.wanted[ch]; p != nil && p.conn == ev.conn {
			p.conn.drop(ch)
			p.conn, p.confirmed, p.movedTo = nil, false, movedTo
		}
	}
	if !retryable(ev.err) {
		err := fmt.Errorf("redactor: %s %q: %w", m.mode.subscribe, ev.cmd.channels, ev.err)
		for _, req := range slices.Clone(m.adds) {
			if !req.answered && slices.ContainsFunc(ev.cmd.channels, func(ch string) bool { return slices.Contains(req.channels, ch) }) {
				m.remove(req.fresh)
				m.answer(req, err)
			}
		}
	}
	m.needRefresh = true
	m.closeIdle()
	m.scheduleRetry()
}

// retryable reports whether a refused subscribe may succeed later.
func retryable(err *resp.Error) bool {
	return err.IsRedirect() || err.IsUnavailable()
}

// lost records that conn no longer carries channels, for reason.
func (m *subManager) lost(conn *psConn, channels []string, reason error) {
	for _, ch := range channels {
		if p := m.wanted[ch]; p != nil && p.conn == conn {
			p.unplace(ch, reason)
		}
	}
	m.needRefresh = true
	m.closeIdle()
	m.scheduleRetry()
}

// broken records that a connection failed: its channels are subscribed
// again elsewhere, after a refresh.
func (m *subManager) broken(ev *broken) {
	if m.conns[ev.conn.addr] != ev.conn {
		return // closed on purpose
	}
	delete(m.conns, ev.conn.addr)
	for ch, p := range m.wanted {
		if p.conn == ev.conn {
			p.movedTo = ""
			p.unplace(ch, ev.err)
		}
	}
	m.next++
	m.needRefresh = true
	m.scheduleRetry()
}

// unplace marks channel as subscribed nowhere, and its connection as no
// longer delivering it; if it was subscribed, its next subscription is
// announced as after a gap.
func (p *placement) unplace(channel string, reason error) {
	if p.confirmed && p.gap == nil {
		p.gap = reason
	}
	if p.conn != nil {
		p.conn.drop(channel)
	}
	p.conn, p.confirmed = nil, false
}

// answerAdds answers the adds whose channels are all confirmed (or no
// longer wanted).
func (m *subManager) answerAdds() {
	for _, req := range slices.Clone(m.adds) {
		if !slices.ContainsFunc(req.channels, func(ch string) bool {
			p := m.wanted[ch]
			return p != nil && !p.confirmed
		}) {
			m.answer(req, nil)
		}
	}
}

func (m *subManager) answer(req *addRequest, err error) {
	if req.answered {
		return
	}
	req.answered = true
	req.done <- err
	m.adds = slices.DeleteFunc(m.adds, func(r *addRequest) bool { return r == req })
}

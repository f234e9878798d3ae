package redactor

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/redactor-go/redactor/topology"
)

// scheduleRetry arranges for a reconcile after the backoff, which grows.
func (m *subManager) scheduleRetry() {
	if m.retryC != nil {
		return
	}
	m.retryC = time.After(m.backoff)
	m.backoff = min(2*m.backoff, pubsubMaxBackoff)
}

// retryDue reconciles, after a refresh of the layout if one is due.
func (m *subManager) retryDue() {
	if !m.needRefresh {
		m.reconcile()
		return
	}
	if m.refreshing {
		return // reconciles when it ends
	}
	m.needRefresh, m.refreshing = false, true
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		routes, err := m.s.c.refresh(m.ctx)
		select {
		case m.s.events <- &refreshed{routes: routes, err: err}:
		case <-m.s.quit:
		}
	}()
}

// refreshed takes the layout a refresh loaded, and reconciles by it.
func (m *subManager) refreshed(ev *refreshed) {
	m.refreshing = false
	if ev.err != nil {
		m.needRefresh = true
	} else {
		m.s.c.setRoutes(ev.routes)
	}
	m.reconcile()
}

// reconcile subscribes every wanted channel that has no connection where
// it should live now, and closes connections left idle.
func (m *subManager) reconcile() {
	routes := m.s.c.routes.Load()
	byAddr := map[string][]string{}
	unplaced := false
	for ch, p := range m.wanted {
		if p.conn != nil {
			continue
		}
		addr := m.target(ch, p, routes)
		if addr == "" {
			unplaced = true
			continue
		}
		byAddr[addr] = append(byAddr[addr], ch)
	}
	for addr, chs := range byAddr {
		pc := m.connTo(addr)
		for _, ch := range chs {
			p := m.wanted[ch]
			p.conn, p.confirmed, p.version = pc, false, routes.Version
		}
		pc.carry(chs...)
		pc.send(m.commands(chs, false)...)
	}
	m.closeIdle()
	if unplaced {
		m.needRefresh = true
		m.scheduleRetry()
	}
}

// target returns the address channel should be subscribed at, or "" when
// none is known now.
func (m *subManager) target(channel string, p *placement, routes *topology.Routes) string {
	if m.mode.sharded {
		if p.movedTo != "" {
			return p.movedTo
		}
		return routes.Map.Master(topology.Slot(channel))
	}
	for addr := range m.conns {
		return addr // channels and patterns share the one connection
	}
	var masters []string
	for _, s := range routes.Map.Shards() {
		if s.Master != "" {
			masters = append(masters, s.Master)
		}
	}
	if len(masters) == 0 {
		return ""
	}
	return masters[m.next%len(masters)]
}

// connTo returns the connection to addr, opening it if there is none.
func (m *subManager) connTo(addr string) *psConn {
	if pc, ok := m.conns[addr]; ok {
		return pc
	}
	pc := newPSConn(m.ctx, m.s, addr)
	m.conns[addr] = pc
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		pc.run()
	}()
	return pc
}

// closeIdle closes the connections no wanted channel is placed on.
func (m *subManager) closeIdle() {
	used := map[*psConn]bool{}
	for _, p := range m.wanted {
		if p.conn != nil {
			used[p.conn] = true
		}
	}
	for addr, pc := range m.conns {
		if !used[pc] {
			pc.close()
			delete(m.conns, addr)
		}
	}
}

// commands returns the (un)subscribe commands for channels, sorted: one
// per slot for shard channels, else one. A subscribe carries the gap
// notice of its channels that lost their subscription.
func (m *subManager) commands(channels []string, unsubscribe bool) []*psCmd {
	slices.Sort(channels)
	groups := map[uint16][]string{}
	for _, ch := range channels {
		var slot uint16
		if m.mode.sharded {
			slot = topology.Slot(ch)
		}
		groups[slot] = append(groups[slot], ch)
	}
	cmds := make([]*psCmd, 0, len(groups))
	for _, slot := range slices.Sorted(maps.Keys(groups)) {
		cmd := &psCmd{op: opSubscribe, channels: groups[slot]}
		if unsubscribe {
			cmd.op = opUnsubscribe
		}
		if !unsubscribe {
			for _, ch := range cmd.channels {
				if gap := m.wanted[ch].gap; gap != nil {
					cmd.gapChannels = append(cmd.gapChannels, ch)
					cmd.reason = cmp.Or(cmd.reason, gap)
				}
			}
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// check runs every pubsubCheckInterval: it retries a waiting notice, pings
// the connections (whose reads then time out on a silent node), moves
// shard channels whose slot the layout says moved (a resharding does not
// always end their subscription), and makes sure a retry is scheduled
// while channels have no connection.
func (m *subManager) check() {
	m.s.flushNotice()
	if m.s.c.cfg.ReadTimeout > 0 {
		for _, pc := range m.conns {
			pc.ping()
		}
	}
	if m.mode.sharded {
		m.followSlots()
	}
	if m.retryC != nil {
		return
	}
	for _, p := range m.wanted {
		if p.conn == nil {
			m.scheduleRetry()
			return
		}
	}
}

// followSlots moves the shard channels whose slot, by a newer layout than
// the one they were placed by, has another master. The old node is not
// sent SUNSUBSCRIBE: once it has lost the slot, it drops the channel
// itself (and would answer MOVED).
func (m *subManager) followSlots() {
	routes := m.s.c.routes.Load()
	moved := false
	for ch, p := range m.wanted {
		if p.conn == nil || !p.confirmed || routes.Version <= p.version {
			continue
		}
		slot := topology.Slot(ch)
		owner := routes.Map.Master(slot)
		switch owner {
		case "":
			continue // no master right now: look again later
		case p.conn.addr:
			p.version = routes.Version
			continue
		}
		p.unplace(ch, fmt.Errorf("redactor: %s: slot %d of %q moved from %s to %s", m.mode.subscribe, slot, ch, p.conn.addr, owner))
		p.movedTo = ""
		moved = true
	}
	if moved {
		m.reconcile()
	}
}

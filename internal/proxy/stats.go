package proxy

import "sync/atomic"

// Stats is a snapshot of a Proxy's counters, returned by Proxy.Stats. All
// counters start at zero when the Proxy starts and only grow, except Open.
type Stats struct {
	// Accepted is the number of connections accepted for forwarding
	// (connections turned away by Refuse are not counted here).
	Accepted uint64
	// Refused is the number of connections closed at once because Refuse was on.
	Refused uint64
	// DialFailures is the number of accepted connections closed because the
	// dial to the target failed.
	DialFailures uint64
	// Open is the number of links currently open.
	Open int
	// BytesUp is the number of bytes forwarded from clients to the target.
	BytesUp uint64
	// BytesDown is the number of bytes forwarded from the target to clients.
	BytesDown uint64
	// Dropped is the number of bytes swallowed by Blackhole or by a link
	// being cut.
	Dropped uint64
	// Cuts is the number of links closed by CutAfterRequest or CutAll.
	Cuts uint64
}

// counters are the live counters behind Stats.
type counters struct {
	accepted     atomic.Uint64
	refused      atomic.Uint64
	dialFailures atomic.Uint64
	bytesUp      atomic.Uint64
	bytesDown    atomic.Uint64
	dropped      atomic.Uint64
	cuts         atomic.Uint64
}

// Stats returns a snapshot of the proxy's counters. It is safe to call at any
// time, also after Close.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	open := len(p.links)
	p.mu.Unlock()
	return Stats{
		Accepted:     p.stats.accepted.Load(),
		Refused:      p.stats.refused.Load(),
		DialFailures: p.stats.dialFailures.Load(),
		Open:         open,
		BytesUp:      p.stats.bytesUp.Load(),
		BytesDown:    p.stats.bytesDown.Load(),
		Dropped:      p.stats.dropped.Load(),
		Cuts:         p.stats.cuts.Load(),
	}
}

package proxy

import "time"

// SetDelay sets the one-way delay added in each direction to the data that
// arrives after the call; data already queued keeps its delay, and order is
// always preserved. A negative d is taken as 0 (no added latency).
func (p *Proxy) SetDelay(d time.Duration) {
	p.delayNs.Store(int64(max(d, 0)))
}

// Delay returns the current one-way delay, see SetDelay.
func (p *Proxy) Delay() time.Duration {
	return time.Duration(p.delayNs.Load())
}

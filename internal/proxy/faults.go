package proxy

// CutAfterRequest arms a one-shot fault: the next chunk any client sends is
// forwarded to the target, then that client's link is closed on both sides
// before any reply byte goes back to the client (replies to the chunk are
// dropped). The server executes the request; the client sees EOF without a
// reply, as after a connection lost right after a write. Bytes the client
// sends after that chunk are dropped. Calling it again before it fired has
// no further effect.
func (p *Proxy) CutAfterRequest() {
	p.cutArmed.Store(true)
}

// CutAll closes every open link now, on both sides, and counts each in
// Stats.Cuts. The listener stays up: new connections work as before.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	links := p.snapshotLocked()
	p.mu.Unlock()
	for _, l := range links {
		l.cut()
	}
}

// Refuse turns refusing on or off. While on, each new connection is
// accepted and closed at once (the client reads EOF), simulating a node
// that new dials cannot reach; open links are not affected.
func (p *Proxy) Refuse(on bool) {
	p.refuse.Store(on)
}

// Blackhole turns the black hole on or off. While on, the data arriving from
// either side is swallowed (counted in Stats.Dropped) and links stay open,
// simulating a hung node. Data that arrived before the call is still
// delivered when due.
func (p *Proxy) Blackhole(on bool) {
	p.blackhole.Store(on)
}

// Package proxy is a TCP proxy on 127.0.0.1 to put in front of one Redis
// node in tests and benchmarks: it adds a one-way delay in each direction
// and breaks connections at exact moments. It only ever listens on and
// forwards to loopback addresses.
//
// # Starting
//
// Start listens on a free loopback port and forwards every connection made
// to Addr to Config.Target over a connection of its own (a link):
//
//	p, err := proxy.Start(proxy.Config{Target: "127.0.0.1:7000", Delay: 500 * time.Microsecond})
//	if err != nil { ... }
//	defer p.Close()
//	seed := p.Addr() // "127.0.0.1:port"
//
// Close stops listening, closes every link and waits for all of the proxy's
// goroutines.
//
// # Delay
//
// Config.Delay (or SetDelay at run time) is added in each direction, so a
// round trip grows by 2*Delay. Each chunk read from one side is stamped with
// its arrival time and queued; a writer per direction writes it once
// now >= arrival+Delay, in order. Chunks are not serialised by the delay: a
// pipeline of chunks each arrives Delay later, not Delay times their number
// later. Go timers fire up to a millisecond late, so the writer sleeps until
// shortly before the deadline and spins for the rest, which keeps delays of
// 0.5ms accurate to a few microseconds at the cost of some CPU. With a delay
// of 0 the data is forwarded directly, with no added latency.
//
// # Faults
//
//   - CutAfterRequest: the next chunk a client sends reaches the server,
//     then that link is closed before any reply goes back: the server has
//     executed the commands, the client never sees the replies.
//   - CutAll: close every open link now; new connections still work.
//   - Refuse: while on, new connections are accepted and closed at once.
//   - Blackhole: while on, data is swallowed in both directions and links
//     stay open, like a hung node.
//
// Stats reports the links accepted, refused and cut and the bytes forwarded
// and dropped.
package proxy

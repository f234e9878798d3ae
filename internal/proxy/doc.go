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
// later. With a delay of 0 the data is forwarded directly, with no added
// latency.
//
// Go timers fire up to a millisecond late, far too coarse for a 0.5ms delay,
// so one goroutine in the process (the pacer) wakes the writers of every
// proxy: it sleeps on a timer until about 1.25ms before the earliest
// deadline, then, on Linux, in nanosleeps of at most 100us that keep their P
// and burn no CPU, and spins with runtime.Gosched through the last 75us.
// Writers are woken within a few microseconds of their deadlines. Elsewhere
// the pacer spins through the whole last 1.25ms. Measured on a 2-CPU VM, a
// round trip through an echo server with Delay 500us takes about 1.1ms
// (1.0ms plus the direct round trip and scheduling); with many busy links
// on a small machine it grows with the CPU load, as it does without delay.
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

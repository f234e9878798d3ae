package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
)

// pingRTT sends samples PINGs, one at a time, over a raw connection to addr
// and returns the median round trip: what the proxy (or the loopback, for a
// node) really costs, without any client library in the way.
func pingRTT(ctx context.Context, addr string, samples int) (time.Duration, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("rtt: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	r := bufio.NewReader(conn)
	ping := []byte("*1\r\n$4\r\nPING\r\n")
	rtts := make([]time.Duration, 0, samples)
	for range samples {
		start := time.Now()
		if _, err := conn.Write(ping); err != nil {
			return 0, fmt.Errorf("rtt %s: %w", addr, err)
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return 0, fmt.Errorf("rtt %s: %w", addr, err)
		}
		rtts = append(rtts, time.Since(start))
		if !strings.HasPrefix(line, "+PONG") {
			return 0, fmt.Errorf("rtt %s: unexpected reply %q", addr, line)
		}
	}
	slices.Sort(rtts)
	return rtts[len(rtts)/2], nil
}

package proxy

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForwardBothWays(t *testing.T) {
	srv := startEcho(t)
	p := startProxy(t, Config{Target: srv.addr()})
	c := dial(t, p.Addr())

	requireEcho(t, c, "*1\r\n$4\r\nPING\r\n")
	srv.push(t, []byte("+PUSH\r\n"))
	got := make([]byte, len("+PUSH\r\n"))
	require.NoError(t, c.SetReadDeadline(time.Now().Add(ioTimeout)))
	_, err := io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, "+PUSH\r\n", string(got))

	st := p.Stats()
	assert.EqualValues(t, 1, st.Accepted)
	assert.Equal(t, 1, st.Open)
	assert.EqualValues(t, len("*1\r\n$4\r\nPING\r\n"), st.BytesUp)
	assert.EqualValues(t, len("*1\r\n$4\r\nPING\r\n")+len("+PUSH\r\n"), st.BytesDown)
}

func TestForwardManyConcurrentLinks(t *testing.T) {
	for _, delay := range []time.Duration{0, 200 * time.Microsecond} {
		t.Run(fmt.Sprintf("delay=%s", delay), func(t *testing.T) {
			srv := startEcho(t)
			p := startProxy(t, Config{Target: srv.addr(), Delay: delay})
			const links, trips, maxSize = 32, 20, 40 << 10

			var wg sync.WaitGroup
			errs := make(chan error, links)
			var total int
			sizes := make([][]int, links)
			for i := range sizes {
				for range trips {
					n := 1 + rand.IntN(maxSize)
					sizes[i] = append(sizes[i], n)
					total += n
				}
			}
			for i := range links {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- echoLink(p.Addr(), sizes[i])
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			st := p.Stats()
			assert.EqualValues(t, links, st.Accepted)
			assert.EqualValues(t, total, st.BytesUp)
			assert.EqualValues(t, total, st.BytesDown)
			assert.Zero(t, st.Dropped)
			require.Eventually(t, func() bool { return p.Stats().Open == 0 }, ioTimeout, time.Millisecond,
				"links must close when their clients do")
		})
	}
}

// echoLink opens a link, sends one random payload of each size and checks
// it comes back unchanged.
func echoLink(addr string, sizes []int) error {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, n := range sizes {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(rand.Uint32())
		}
		got, err := roundTrip(c, msg)
		if err != nil {
			return err
		}
		if !bytes.Equal(msg, got) {
			return fmt.Errorf("payload of %d bytes came back changed", n)
		}
	}
	return nil
}

func TestForwardKeepsOrderWhileDelayChanges(t *testing.T) {
	srv := startEcho(t)
	p := startProxy(t, Config{Target: srv.addr()})
	c := dial(t, p.Addr())

	const n = 3000
	var want bytes.Buffer
	for i := range n {
		fmt.Fprintf(&want, "%d,", i)
	}
	got := make(chan []byte, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
		b := make([]byte, want.Len())
		k, _ := io.ReadFull(c, b)
		got <- b[:k]
	}()
	for i := range n {
		switch i % 500 {
		case 0:
			p.SetDelay(time.Millisecond)
		case 250:
			p.SetDelay(0)
		}
		_, err := fmt.Fprintf(c, "%d,", i)
		require.NoError(t, err)
	}
	assert.Equal(t, want.String(), string(<-got))
}

func TestForwardHalfClose(t *testing.T) {
	srv := startEcho(t)
	p := startProxy(t, Config{Target: srv.addr(), Delay: time.Millisecond})
	c := dial(t, p.Addr())

	_, err := c.Write([]byte("last words"))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	require.NoError(t, c.SetReadDeadline(time.Now().Add(ioTimeout)))
	got, err := io.ReadAll(c)
	require.NoError(t, err, "the reply must arrive, then EOF")
	assert.Equal(t, "last words", string(got))
	require.Eventually(t, func() bool { return p.Stats().Open == 0 && srv.open() == 0 }, ioTimeout, time.Millisecond)
}

func TestForwardDialFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())

	p := startProxy(t, Config{Target: dead})
	c := dial(t, p.Addr())
	requireClosed(t, c)
	st := p.Stats()
	assert.EqualValues(t, 1, st.Accepted)
	assert.EqualValues(t, 1, st.DialFailures)
	assert.Zero(t, st.Open)
}

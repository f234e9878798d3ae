package proxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ioTimeout bounds every blocking read or write of the tests.
const ioTimeout = 5 * time.Second

// echoServer is a TCP server on 127.0.0.1:0 standing in for a node: it
// echoes what it reads, records it, and can push data unasked.
type echoServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	got   bytes.Buffer
}

// startEcho starts an echoServer, stopped (and its goroutines reaped) in
// t.Cleanup.
func startEcho(t testing.TB) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &echoServer{ln: ln, conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.close)
	return s
}

func (s *echoServer) addr() string { return s.ln.Addr().String() }

func (s *echoServer) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *echoServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = c.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			s.mu.Lock()
			s.got.Write(buf[:n])
			s.mu.Unlock()
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// received returns a copy of every byte the server has read so far.
func (s *echoServer) received() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.got.Bytes())
}

// open returns the number of connections the server has open.
func (s *echoServer) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// push writes b to every open connection, unasked.
func (s *echoServer) push(t *testing.T, b []byte) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotEmpty(t, s.conns)
	for c := range s.conns {
		_, err := c.Write(b)
		require.NoError(t, err)
	}
}

func (s *echoServer) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// startProxy starts a proxy closed in t.Cleanup.
func startProxy(t testing.TB, cfg Config) *Proxy {
	t.Helper()
	p, err := Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

// dial connects to addr; the connection is closed in t.Cleanup.
func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// roundTrip writes msg to c and returns the len(msg) bytes read back.
func roundTrip(c net.Conn, msg []byte) ([]byte, error) {
	if err := c.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		return nil, err
	}
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	got := make([]byte, len(msg))
	_, err := io.ReadFull(c, got)
	return got, err
}

// requireEcho checks that msg comes back unchanged through c.
func requireEcho(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	got, err := roundTrip(c, []byte(msg))
	require.NoError(t, err)
	require.Equal(t, msg, string(got))
}

// requireClosed checks that c is closed by the other side without sending
// anything: a read returns EOF or a reset, not data and not a timeout.
func requireClosed(t *testing.T, c net.Conn) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(ioTimeout)))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	require.Zero(t, n, "unexpected bytes %q", buf[:n])
	require.Truef(t, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET),
		"want EOF or reset, got %v", err)
}

// requireSilent checks that nothing arrives on c for d and c stays open.
func requireSilent(t *testing.T, c net.Conn, d time.Duration) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(d)))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	require.Zero(t, n, "unexpected bytes %q", buf[:n])
	var ne net.Error
	require.Truef(t, errors.As(err, &ne) && ne.Timeout(), "want a timeout, got %v", err)
	require.NoError(t, c.SetReadDeadline(time.Time{}))
}

// medianRTT returns the median of n ping-pong round trips over c, after a
// few warm-up ones.
func medianRTT(t *testing.T, c net.Conn, n int) time.Duration {
	t.Helper()
	msg := []byte("PING\r\n")
	for range 10 {
		_, err := roundTrip(c, msg)
		require.NoError(t, err)
	}
	rtts := make([]time.Duration, n)
	for i := range rtts {
		start := time.Now()
		_, err := roundTrip(c, msg)
		rtts[i] = time.Since(start)
		require.NoError(t, err)
	}
	sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
	return rtts[n/2]
}

// dialErr connects to addr, closes the connection at once and returns the
// dial error.
func dialErr(addr string) error {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err == nil {
		_ = c.Close()
	}
	return err
}

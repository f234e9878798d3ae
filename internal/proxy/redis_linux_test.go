//go:build linux

package proxy

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startRedis starts a standalone redis-server on a free loopback port that
// persists nothing; it is killed and reaped in t.Cleanup. The test is
// skipped when redis-server is not installed.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed: apt-get install -y redis-server")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())

	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		reply, err := command(c, bufio.NewReader(c), "PING")
		return err == nil && reply == "+PONG"
	}, 10*time.Second, 20*time.Millisecond, "redis-server did not start on %s", addr)
	return addr
}

// encode returns args as a RESP array of bulk strings.
func encode(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// command sends one command and returns its reply's first line, or the
// bulk string's value.
func command(c net.Conn, r *bufio.Reader, args ...string) (string, error) {
	if err := c.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		return "", err
	}
	if _, err := c.Write([]byte(encode(args...))); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if !strings.HasPrefix(line, "$") || line == "$-1" {
		return line, nil
	}
	val, err := r.ReadString('\n')
	return strings.TrimSuffix(val, "\r\n"), err
}

func TestRedisCutAfterRequest(t *testing.T) {
	addr := startRedis(t)
	p := startProxy(t, Config{Target: addr, Delay: 500 * time.Microsecond})
	direct := dial(t, addr)
	directR := bufio.NewReader(direct)

	c := dial(t, p.Addr())
	reply, err := command(c, bufio.NewReader(c), "SET", "k", "0")
	require.NoError(t, err)
	require.Equal(t, "+OK", reply)

	// Three pipelined commands in one write: all executed, no reply seen.
	p.CutAfterRequest()
	_, err = c.Write([]byte(encode("INCR", "k") + encode("INCR", "k") + encode("INCR", "k")))
	require.NoError(t, err)
	requireClosed(t, c)
	require.Eventually(t, func() bool {
		v, err := command(direct, directR, "GET", "k")
		return err == nil && v == "3"
	}, ioTimeout, time.Millisecond, "redis must execute the cut commands")
	assert.EqualValues(t, 1, p.Stats().Cuts)

	again := dial(t, p.Addr())
	reply, err = command(again, bufio.NewReader(again), "INCR", "k")
	require.NoError(t, err)
	assert.Equal(t, ":4", reply, "later connections work")
}

func TestRedisBlackholeAndRefuse(t *testing.T) {
	addr := startRedis(t)
	p := startProxy(t, Config{Target: addr})
	c := dial(t, p.Addr())
	r := bufio.NewReader(c)
	reply, err := command(c, r, "PING")
	require.NoError(t, err)
	require.Equal(t, "+PONG", reply)

	p.Blackhole(true)
	_, err = c.Write([]byte(encode("PING")))
	require.NoError(t, err)
	requireSilent(t, c, 100*time.Millisecond)
	p.Blackhole(false)

	p.Refuse(true)
	requireClosed(t, dial(t, p.Addr()))
	p.Refuse(false)

	reply, err = command(c, r, "ECHO", "alive")
	require.NoError(t, err)
	assert.Equal(t, "alive", reply, "the swallowed PING got no reply; the link still works")
}

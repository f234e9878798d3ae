package proxy

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCutAfterRequest(t *testing.T) {
	for _, delay := range []time.Duration{0, time.Millisecond} {
		t.Run(fmt.Sprintf("delay=%s", delay), func(t *testing.T) {
			srv := startEcho(t)
			p := startProxy(t, Config{Target: srv.addr(), Delay: delay})
			bystander := dial(t, p.Addr())
			requireEcho(t, bystander, "before ")
			c := dial(t, p.Addr())
			requireEcho(t, c, "before ")

			p.CutAfterRequest()
			_, err := c.Write([]byte("INCR counter "))
			require.NoError(t, err)
			requireClosed(t, c)
			require.Eventually(t, func() bool {
				return bytes.Contains(srv.received(), []byte("INCR counter "))
			}, ioTimeout, time.Millisecond, "the server must receive the request")

			st := p.Stats()
			assert.EqualValues(t, 1, st.Cuts)
			assert.EqualValues(t, 2*len("before ")+len("INCR counter "), st.BytesUp)
			assert.EqualValues(t, 2*len("before "), st.BytesDown)

			// One-shot: other links and later connections are not cut.
			requireEcho(t, bystander, "after")
			requireEcho(t, dial(t, p.Addr()), "after")
			assert.EqualValues(t, 1, p.Stats().Cuts)
		})
	}
}

func TestCutAll(t *testing.T) {
	srv := startEcho(t)
	p := startProxy(t, Config{Target: srv.addr()})
	var conns []net.Conn
	for i := range 3 {
		c := dial(t, p.Addr())
		requireEcho(t, c, fmt.Sprintf("link %d", i))
		conns = append(conns, c)
	}
	require.Equal(t, 3, p.Stats().Open)

	p.CutAll()
	for _, c := range conns {
		requireClosed(t, c)
	}
	st := p.Stats()
	assert.EqualValues(t, 3, st.Cuts)
	assert.Zero(t, st.Open)
	require.Eventually(t, func() bool { return srv.open() == 0 }, ioTimeout, time.Millisecond,
		"the server side must be closed too")

	requireEcho(t, dial(t, p.Addr()), "still listening")
}

func TestRefuse(t *testing.T) {
	srv := startEcho(t)
	p := startProxy(t, Config{Target: srv.addr()})
	open := dial(t, p.Addr())
	requireEcho(t, open, "before")

	p.Refuse(true)
	requireClosed(t, dial(t, p.Addr()))
	requireClosed(t, dial(t, p.Addr()))
	requireEcho(t, open, "open links keep working")
	st := p.Stats()
	assert.EqualValues(t, 2, st.Refused)
	assert.EqualValues(t, 1, st.Accepted)

	p.Refuse(false)
	requireEcho(t, dial(t, p.Addr()), "accepted again")
	assert.EqualValues(t, 2, p.Stats().Accepted)
}

func TestBlackhole(t *testing.T) {
	srv := startEcho(t)
	p := startProxy(t, Config{Target: srv.addr()})
	c := dial(t, p.Addr())
	requireEcho(t, c, "before ")

	p.Blackhole(true)
	_, err := c.Write([]byte("lost-up "))
	require.NoError(t, err)
	srv.push(t, []byte("lost-down "))
	requireSilent(t, c, 100*time.Millisecond)
	assert.Equal(t, "before ", string(srv.received()), "nothing reaches the server")
	require.Eventually(t, func() bool {
		return p.Stats().Dropped == uint64(len("lost-up ")+len("lost-down "))
	}, ioTimeout, time.Millisecond, "both directions are swallowed")
	assert.Equal(t, 1, p.Stats().Open, "the link stays open")

	p.Blackhole(false)
	requireEcho(t, c, "after")
	assert.Equal(t, "before after", string(srv.received()))
}

package redactor_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
)

// TestAddrRemapAndDialer runs against a cluster that announces a host name
// no resolver knows (as behind NAT or in containers): only Config.AddrRemap
// makes its nodes reachable, and every connection goes through
// Config.Dialer.
func TestAddrRemapAndDialer(t *testing.T) {
	const host = "redactor-test.invalid" // RFC 2606: never resolves
	c := localcluster.StartT(t, localcluster.Config{Masters: 3, ServerArgs: []string{
		"--cluster-announce-hostname", host, "--cluster-preferred-endpoint-type", "hostname",
	}})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	remap := func(addr string) string {
		h, port, _ := net.SplitHostPort(addr)
		if h == host {
			return net.JoinHostPort("127.0.0.1", port)
		}
		return addr
	}
	var mu sync.Mutex
	var dialed []string
	dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}

	t.Run("without remap the nodes are unreachable", func(t *testing.T) {
		client, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs()[:1], RetryTimeout: 200 * time.Millisecond})
		require.NoError(t, err, "the seed is reachable")
		defer client.Close()
		for _, n := range client.Nodes() {
			assert.True(t, strings.HasPrefix(n.Addr, host+":"), "announced address %s", n.Addr)
		}
		r := client.Do(ctx, "SET", "remap:x", "1")
		require.ErrorIs(t, r.Err, redactor.ErrNodeUnreachable)
	})

	t.Run("with remap", func(t *testing.T) {
		client, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs()[:1], AddrRemap: remap, Dialer: dialer})
		require.NoError(t, err)
		defer client.Close()
		p := client.Pipeline()
		for i := range 30 {
			p.Do("SET", fmt.Sprintf("remap:%d", i), "v")
		}
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		for _, r := range results {
			require.NoError(t, r.Err)
		}
		// The client names the nodes as the cluster announces them, and
		// dials them where AddrRemap says.
		nodes := client.Nodes()
		require.Len(t, nodes, 3)
		assert.True(t, strings.HasPrefix(nodes[0].Addr, host+":"))
		require.NoError(t, client.DoOn(ctx, nodes[0].Addr, "PING").Err)
		mu.Lock()
		defer mu.Unlock()
		assert.GreaterOrEqual(t, len(dialed), 4, "the layout load and every master")
		for _, a := range dialed {
			assert.True(t, strings.HasPrefix(a, "127.0.0.1:"), "dialed %s", a)
		}
	})
}

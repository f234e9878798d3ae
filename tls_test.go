package redactor_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/internal/testcert"
)

func TestTLS(t *testing.T) {
	certs, err := testcert.Generate(t.TempDir())
	require.NoError(t, err)
	trusting := &tls.Config{RootCAs: certs.Pool, MinVersion: tls.VersionTLS12}
	c := localcluster.StartT(t, localcluster.Config{Masters: 3, Password: clusterPassword, TLS: &localcluster.TLS{
		CertFile: certs.CertFile, KeyFile: certs.KeyFile, CAFile: certs.CAFile, Client: trusting,
	}})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	t.Run("every connection", func(t *testing.T) {
		client, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs()[:1], Password: clusterPassword, TLS: trusting})
		require.NoError(t, err)
		defer client.Close()
		assert.Len(t, client.Nodes(), 3, "the slot map names every node by its tls-port")

		p := client.Pipeline()
		for i := range 100 {
			p.Do("SET", fmt.Sprintf("tls:%d", i), strconv.Itoa(i))
			p.Do("GET", fmt.Sprintf("tls:%d", i))
		}
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		for i := range 100 {
			require.NoError(t, results[2*i].Err)
			require.NoError(t, results[2*i+1].Err)
			assert.Equal(t, strconv.Itoa(i), results[2*i+1].Value)
		}

		// A dedicated connection (blocking command) and a subscription.
		sub, err := client.Subscribe(ctx, "tls:news")
		require.NoError(t, err)
		defer sub.Close()
		require.Eventually(t, func() bool {
			r := client.Do(ctx, "PUBLISH", "tls:news", "hello")
			return r.Err == nil && r.Value == int64(1)
		}, 5*time.Second, 10*time.Millisecond)
		select {
		case m := <-sub.Messages():
			assert.Equal(t, "hello", m.Payload)
		case <-ctx.Done():
			t.Fatal("no message")
		}
		require.NoError(t, client.Do(ctx, "RPUSH", "tls:q", "job").Err)
		r := client.Do(ctx, "BLPOP", "tls:q", "1")
		require.NoError(t, r.Err)
		assert.Equal(t, []any{"tls:q", "job"}, r.Value)
	})

	t.Run("rediss URL", func(t *testing.T) {
		cfg, err := redactor.ParseURL("rediss://:" + clusterPassword + "@" + strings.Join(c.Addrs(), ","))
		require.NoError(t, err)
		require.NotNil(t, cfg.TLS)
		cfg.TLS.RootCAs = certs.Pool
		client, err := redactor.New(ctx, cfg)
		require.NoError(t, err)
		defer client.Close()
		require.NoError(t, client.Do(ctx, "SET", "tls:url", "1").Err)
	})

	t.Run("unknown authority fails New at once", func(t *testing.T) {
		start := time.Now()
		_, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs(), Password: clusterPassword,
			TLS: &tls.Config{RootCAs: x509.NewCertPool()}})
		require.ErrorIs(t, err, redactor.ErrTLS)
		var unknown x509.UnknownAuthorityError
		assert.ErrorAs(t, err, &unknown)
		assert.Less(t, time.Since(start), 2*time.Second)
	})

	t.Run("wrong server name fails", func(t *testing.T) {
		_, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs(), Password: clusterPassword,
			TLS: &tls.Config{RootCAs: certs.Pool, ServerName: "redis.example.com"}})
		require.ErrorIs(t, err, redactor.ErrTLS)
		var hostname x509.HostnameError
		assert.ErrorAs(t, err, &hostname)
	})

	t.Run("plain client on a TLS port fails", func(t *testing.T) {
		start := time.Now()
		_, err := redactor.New(ctx, redactor.Config{Addrs: c.Addrs(), Password: clusterPassword, DialTimeout: time.Second})
		require.Error(t, err)
		assert.Less(t, time.Since(start), 4*time.Second)
	})

	t.Run("TLS client on a plain port fails", func(t *testing.T) {
		_, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs(), TLS: trusting, DialTimeout: time.Second})
		require.ErrorIs(t, err, redactor.ErrTLS)
		assert.Contains(t, err.Error(), "is it a TLS port?")
	})
}

// TestTLSAnnouncedHostname checks that a node is verified by the host name
// it announces: the certificate names only that host, the slot map names
// nodes by IP (cluster-preferred-endpoint-type ip, the default), and the
// name does not resolve, so the seed is reached through AddrRemap.
func TestTLSAnnouncedHostname(t *testing.T) {
	const host = "node.redactor.invalid"
	certs, err := testcert.Generate(t.TempDir(), host)
	require.NoError(t, err)
	c := localcluster.StartT(t, localcluster.Config{Masters: 3,
		ServerArgs: []string{"--cluster-announce-hostname", host},
		TLS: &localcluster.TLS{CertFile: certs.CertFile, KeyFile: certs.KeyFile, CAFile: certs.CAFile,
			Client: &tls.Config{RootCAs: certs.Pool, ServerName: host}}})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, port, _ := strings.Cut(c.Addrs()[0], ":")
	client, err := redactor.New(ctx, redactor.Config{
		Addrs: []string{host + ":" + port},
		TLS:   &tls.Config{RootCAs: certs.Pool},
		AddrRemap: func(addr string) string {
			return strings.Replace(addr, host, "127.0.0.1", 1)
		},
	})
	require.NoError(t, err)
	defer client.Close()
	for _, n := range client.Nodes() {
		assert.True(t, strings.HasPrefix(n.Addr, "127.0.0.1:"), "nodes by IP: %s", n.Addr)
	}
	p := client.Pipeline()
	for i := range 30 {
		p.Do("SET", fmt.Sprintf("tls-host:%d", i), "v")
	}
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for _, r := range results {
		require.NoError(t, r.Err, "every master verified by its announced host name")
	}
	// The certificate does not cover the IP address the nodes are named by.
	_, err = redactor.New(ctx, redactor.Config{Addrs: c.Addrs(), TLS: &tls.Config{RootCAs: certs.Pool}})
	var hostname x509.HostnameError
	require.ErrorAs(t, err, &hostname)
}

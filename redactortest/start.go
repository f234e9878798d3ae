package redactortest

import (
	"context"
	"testing"
	"time"

	"github.com/redactor-go/redactor/internal/localcluster"
)

// startTimeout bounds Start when its context has no deadline, and StartT.
const startTimeout = time.Minute

// Start starts a cluster as described by opts and returns once every node
// agrees that the cluster is healthy and every replica is attached. If ctx
// has no deadline, Start gives up after a minute. On failure it stops
// whatever it started. The caller must call Stop.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	lc, err := localcluster.Start(ctx, opts.config())
	if err != nil {
		return nil, err
	}
	return &Cluster{lc: lc, password: opts.Password}, nil
}

// StartT starts a cluster for the test or benchmark t, as Start does, with
// progress messages going to t.Logf unless opts.Logf is set. When the
// cluster cannot be started it fails t at once (t.Fatal): when redis-server
// is missing, with the command that installs it, never with a skip. It
// registers a t.Cleanup that stops the cluster and reaps its processes,
// which runs whether t passes or fails.
func StartT(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("redactortest: start a local Redis Cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("redactortest: stop the local Redis Cluster: %v", err)
		}
	})
	return c
}

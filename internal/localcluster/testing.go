package localcluster

import (
	"context"
	"testing"
	"time"
)

// startTTimeout bounds StartT.
const startTTimeout = time.Minute

// StartT starts a cluster for a test or benchmark, with cfg.Logf defaulting
// to t.Logf. It fails t with t.Fatal when the cluster cannot be started (with
// the command to install redis-server when it is missing: tests fail rather
// than skip) and registers t.Cleanup to Stop the cluster.
func StartT(t testing.TB, cfg Config) *Cluster {
	t.Helper()
	if cfg.Logf == nil {
		cfg.Logf = t.Logf
	}
	ctx, cancel := context.WithTimeout(t.Context(), startTTimeout)
	defer cancel()
	c, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start local redis cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop local redis cluster: %v", err)
		}
	})
	return c
}

package localcluster

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// StartStandaloneT starts one redis-server without cluster support, on a
// free port of 127.0.0.1, for tests of what a cluster client makes of a
// node that is not a cluster node. It returns the server's address once it
// answers PING, and registers t.Cleanup to stop it and remove its
// directory. args are more command-line arguments. It fails t when the
// server cannot be started.
func StartStandaloneT(t testing.TB, args ...string) string {
	t.Helper()
	bin, err := findRedisServer("")
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "redactor-standalone-")
	if err != nil {
		t.Fatalf("localcluster: %v", err)
	}
	logFile := filepath.Join(dir, "redis.log")
	p := strconv.Itoa(port)
	proc, err := startProcess(bin, dir, logFile, append([]string{
		"--port", p, "--bind", "127.0.0.1", "--protected-mode", "no", "--daemonize", "no",
		"--dir", dir, "--logfile", logFile, "--appendonly", "no", "--save", "",
	}, args...))
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + p
	n := &node{proc: proc, client: &client{addr: addr, dial: (&Cluster{}).dial}}
	t.Cleanup(func() {
		n.client.close()
		if err := proc.stop(stopGrace); err != nil {
			t.Errorf("localcluster: stop %s: %v", n.name(), err)
		}
		os.RemoveAll(dir)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.waitPing(ctx); err != nil {
		t.Fatalf("localcluster: standalone server: %v", err)
	}
	return addr
}

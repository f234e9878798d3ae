package redactortest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// helperEnv names the helper test a child test binary runs (see runHelper).
const helperEnv = "REDACTORTEST_HELPER"

// helperNodes are the pids and directory of the cluster a helper test
// started, checked by reportHelper once every test has ended.
var helperNodes struct {
	pids []int
	dir  string
}

// gone reports whether no process has the given pid: not even a zombie.
func gone(pid int) bool { return syscall.Kill(pid, 0) == syscall.ESRCH }

// pids returns the process ids of rc's nodes.
func pids(rc *Cluster) []int {
	var pids []int
	for _, n := range rc.lc.Nodes() {
		pids = append(pids, n.Pid)
	}
	return pids
}

func TestStopLeavesNoProcess(t *testing.T) {
	t.Parallel()
	rc, err := Start(t.Context(), Options{Masters: 2, Replicas: 1, Logf: t.Logf})
	require.NoError(t, err)
	nodes, dir := pids(rc), rc.lc.Dir()
	require.Len(t, nodes, 4)
	for _, pid := range nodes {
		require.False(t, gone(pid), "pid %d", pid)
	}

	require.NoError(t, rc.Kill(rc.ReplicasOf(rc.Addrs()[0])[0]))
	require.NoError(t, rc.Stop())
	for _, pid := range nodes {
		assert.True(t, gone(pid), "pid %d outlived Stop", pid)
	}
	assert.NoDirExists(t, dir)
	assert.NoError(t, rc.Stop(), "a second Stop")
	assert.Error(t, rc.WaitHealthy(t.Context()), "a stopped cluster")
}

// runHelper runs the helper test TestHelper<name> in a child test binary
// and returns its output.
func runHelper(t *testing.T, name string) (string, error) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelper"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+name)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestStartTStopsClusterOfFailedTest runs a test that starts a cluster with
// StartT and fails: the cleanup stops and reaps every node before the test
// binary exits.
func TestStartTStopsClusterOfFailedTest(t *testing.T) {
	t.Parallel()
	out, err := runHelper(t, "FailingTest")
	t.Log(out)
	assert.Error(t, err, "the helper test fails")
	assert.Contains(t, out, "--- FAIL: TestHelperFailingTest")
	assert.Contains(t, out, "failing on purpose")
	assert.Contains(t, out, "helper: 2 nodes gone, directory removed\n")
}

// TestStartTWithoutRedisServer runs a test that calls StartT without a
// redis-server: it fails, saying how to install it, rather than skip.
func TestStartTWithoutRedisServer(t *testing.T) {
	t.Parallel()
	out, err := runHelper(t, "NoRedisServer")
	t.Log(out)
	assert.Error(t, err, "the helper test fails")
	assert.Contains(t, out, "--- FAIL: TestHelperNoRedisServer")
	assert.Contains(t, out, "apt-get install -y redis-server")
	assert.NotContains(t, out, "SKIP")
	assert.NotContains(t, out, "StartT returned")
}

// TestHelperFailingTest is run by TestStartTStopsClusterOfFailedTest in a
// child test binary; elsewhere it does nothing.
func TestHelperFailingTest(t *testing.T) {
	if os.Getenv(helperEnv) != "FailingTest" {
		return
	}
	rc := StartT(t, Options{Masters: 1, Replicas: 1})
	helperNodes.pids, helperNodes.dir = pids(rc), rc.lc.Dir()
	t.Fatal("failing on purpose, with the cluster running")
}

// TestHelperNoRedisServer is run by TestStartTWithoutRedisServer in a
// child test binary; elsewhere it does nothing.
func TestHelperNoRedisServer(t *testing.T) {
	if os.Getenv(helperEnv) != "NoRedisServer" {
		return
	}
	StartT(t, Options{RedisServer: filepath.Join(t.TempDir(), "redis-server")})
	t.Error("StartT returned without a redis-server")
}

// reportHelper prints, in a child test binary, whether the nodes a helper
// test started are gone once the tests have ended, while the binary (their
// parent) still runs: so they were stopped by the test's cleanup, not by
// the parent-death signal.
func reportHelper(name string) {
	if name != "FailingTest" {
		return
	}
	var alive []string
	for _, pid := range helperNodes.pids {
		if !gone(pid) {
			alive = append(alive, strconv.Itoa(pid))
		}
	}
	_, statErr := os.Stat(helperNodes.dir)
	switch {
	case len(helperNodes.pids) == 0:
		fmt.Println("helper: no cluster started")
	case len(alive) > 0:
		fmt.Println("helper: nodes still running:", strings.Join(alive, " "))
	case !os.IsNotExist(statErr):
		fmt.Println("helper: directory left behind:", helperNodes.dir)
	default:
		fmt.Printf("helper: %d nodes gone, directory removed\n", len(helperNodes.pids))
	}
}

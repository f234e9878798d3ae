package localcluster

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mediocregopher/radix/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// do sends one command to addr on a fresh connection.
func do(t *testing.T, addr string, rcv any, cmd string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, err := radix.Dial(ctx, "tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Do(ctx, radix.Cmd(rcv, cmd, args...)), "%s %v on %s", cmd, args, addr)
}

// clusterInfo returns the parsed CLUSTER INFO of addr.
func clusterInfo(t *testing.T, addr string) map[string]string {
	t.Helper()
	var s string
	do(t, addr, &s, "CLUSTER", "INFO")
	return parseInfo(s)
}

// role returns the first element of ROLE: "master" or "slave".
func role(t *testing.T, addr string) string {
	t.Helper()
	var reply []any
	do(t, addr, &reply, "ROLE")
	require.NotEmpty(t, reply)
	switch s := reply[0].(type) {
	case string:
		return s
	case []byte:
		return string(s)
	}
	t.Fatalf("ROLE on %s: unexpected reply %#v", addr, reply)
	return ""
}

func TestStartMasters(t *testing.T) {
	t.Parallel()
	c := StartT(t, Config{})

	addrs := c.Addrs()
	require.Len(t, addrs, 3)
	nodes := c.Nodes()
	require.Len(t, nodes, 3)
	for _, n := range nodes {
		assert.True(t, n.Master)
		assert.Len(t, n.ID, 40)
		assert.Equal(t, "127.0.0.1:"+strconv.Itoa(n.Port), n.Addr)
		assert.NotEqual(t, n.Port, n.BusPort)
		assert.NotZero(t, n.Pid)
	}
	for _, addr := range addrs {
		info := clusterInfo(t, addr)
		assert.Equal(t, "ok", info["cluster_state"], addr)
		assert.Equal(t, "16384", info["cluster_slots_assigned"], addr)
		assert.Equal(t, "3", info["cluster_known_nodes"], addr)

		var topo radix.ClusterTopo
		do(t, addr, &topo, "CLUSTER", "SLOTS")
		covered := make([]bool, maxSlots)
		owners := map[string]bool{}
		for _, n := range topo {
			for _, r := range n.Slots { // [start, end)
				for s := r[0]; s < r[1]; s++ {
					assert.False(t, covered[s], "slot %d twice", s)
					covered[s] = true
				}
			}
			owners[n.Addr] = true
		}
		assert.NotContains(t, covered, false, "CLUSTER SLOTS on %s does not cover all slots", addr)
		assert.Len(t, owners, 3)
		// Addrs is in slot order: the first master owns slot 0.
		assert.Equal(t, addrs[0], topo[0].Addr)
	}
}

func TestStartReplicas(t *testing.T) {
	t.Parallel()
	c := StartT(t, Config{Masters: 3, Replicas: 1})

	nodes := c.Nodes()
	require.Len(t, nodes, 6)
	masters := map[string]Node{}
	for _, n := range nodes {
		if n.Master {
			masters[n.ID] = n
		}
	}
	require.Len(t, masters, 3)
	replicasOf := map[string]int{}
	for _, n := range nodes {
		if n.Master {
			assert.Empty(t, n.MasterID)
			assert.Equal(t, "master", role(t, n.Addr), n.Addr)
			continue
		}
		require.Contains(t, masters, n.MasterID)
		replicasOf[n.MasterID]++
		assert.Equal(t, "slave", role(t, n.Addr), n.Addr)
		var info string
		do(t, n.Addr, &info, "INFO", "replication")
		assert.Equal(t, strconv.Itoa(masters[n.MasterID].Port), parseInfo(info)["master_port"])
	}
	for id := range masters {
		assert.Equal(t, 1, replicasOf[id], "replicas of %s", id)
	}
	assert.Len(t, c.Addrs(), 3)
	for _, n := range nodes {
		assert.Equal(t, "6", clusterInfo(t, n.Addr)["cluster_known_nodes"], n.Addr)
	}
}

func TestStopKillsProcessesAndRemovesDir(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	c, err := Start(t.Context(), Config{Masters: 3, Dir: parent, Logf: t.Logf})
	require.NoError(t, err)
	dir := c.Dir()
	assert.Equal(t, parent, filepath.Dir(dir))
	assert.DirExists(t, dir)
	nodes := c.Nodes()

	require.NoError(t, c.Stop())
	for _, n := range nodes {
		assert.ErrorIs(t, syscall.Kill(n.Pid, 0), syscall.ESRCH, "pid %d still exists", n.Pid)
	}
	assert.NoDirExists(t, dir)
	assert.NoError(t, c.Stop(), "second Stop")
	assert.ErrorContains(t, c.WaitHealthy(t.Context()), "stopped")
}

func TestMissingRedisServer(t *testing.T) {
	t.Parallel()
	c, err := Start(t.Context(), Config{RedisServer: filepath.Join(t.TempDir(), "no-such-redis-server")})
	assert.Nil(t, c)
	require.ErrorIs(t, err, ErrNoRedisServer)
	assert.Contains(t, err.Error(), "apt-get install -y redis-server")
}

func TestInvalidConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{{Masters: -1}, {Replicas: -1}, {NodeTimeout: -time.Second}} {
		_, err := Start(t.Context(), cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

func TestAnnouncePort(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	c := StartT(t, Config{Masters: 3, AnnouncePort: func(port int) int {
		calls.Add(1)
		return port
	}})
	assert.EqualValues(t, 3, calls.Load())
	for _, n := range c.Nodes() {
		assert.Equal(t, n.Port, n.AnnouncePort)
		var cfg []string
		do(t, n.Addr, &cfg, "CONFIG", "GET", "cluster-announce-port")
		assert.Equal(t, []string{"cluster-announce-port", strconv.Itoa(n.Port)}, cfg)
		do(t, n.Addr, &cfg, "CONFIG", "GET", "cluster-announce-bus-port")
		assert.Equal(t, []string{"cluster-announce-bus-port", strconv.Itoa(n.BusPort)}, cfg)
	}
}

func TestKillFailover(t *testing.T) {
	t.Parallel()
	c := StartT(t, Config{Masters: 3, Replicas: 1})
	assert.ErrorIs(t, c.Kill("127.0.0.1:1"), ErrUnknownNode)

	victim := c.Addrs()[0]
	var victimNode, heir Node
	for _, n := range c.Nodes() {
		if n.Addr == victim {
			victimNode = n
		}
	}
	for _, n := range c.Nodes() {
		if n.MasterID == victimNode.ID {
			heir = n
		}
	}
	require.NotEmpty(t, heir.Addr)

	require.NoError(t, c.Kill(victim))
	require.NoError(t, c.Kill(victim), "second Kill")
	assert.ErrorIs(t, syscall.Kill(victimNode.Pid, 0), syscall.ESRCH)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.WaitHealthy(ctx))
	require.NoError(t, c.Refresh(ctx))

	addrs := c.Addrs()
	assert.Len(t, addrs, 3)
	assert.Equal(t, heir.Addr, addrs[0], "the replica took over the first slots")
	assert.NotContains(t, addrs, victim)
	assert.Equal(t, "master", role(t, heir.Addr))
	nodes := c.Nodes()
	i := slices.IndexFunc(nodes, func(n Node) bool { return n.Addr == victim })
	assert.True(t, nodes[i].Killed)
	i = slices.IndexFunc(nodes, func(n Node) bool { return n.Addr == heir.Addr })
	assert.True(t, nodes[i].Master)
	assert.Empty(t, nodes[i].MasterID)
}

func TestEarlyExitReportsLog(t *testing.T) {
	t.Parallel()
	// A "redis-server" that fails at once, like a redis-server rejecting its
	// command line.
	fake := filepath.Join(t.TempDir(), "redis-server")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho 'FATAL CONFIG FILE ERROR' >&2\nexit 1\n"), 0o755))
	parent := t.TempDir()
	_, err := Start(t.Context(), Config{Masters: 1, RedisServer: fake, Dir: parent})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exited unexpectedly")
	assert.Contains(t, err.Error(), "FATAL CONFIG FILE ERROR")
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	assert.Empty(t, entries, "temp dir left behind")
}

func TestParseClusterNodes(t *testing.T) {
	t.Parallel()
	const reply = "" +
		"07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-a slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected\n" +
		"67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922 [5461->-e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca]\n" +
		"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460\n" +
		"292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master,fail? - 0 1426238318243 3 connected 16383 10923-16382\n"
	entries, err := parseClusterNodes(reply)
	require.NoError(t, err)
	require.Len(t, entries, 4)
	assert.Equal(t, nodeEntry{
		ID: "07c37dfeb235213a872192d90877d0cd55635b91", Port: 30004, BusPort: 31004,
		Flags: []string{"slave"}, MasterID: "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca",
	}, entries[0])
	assert.Equal(t, [][2]int{{5461, 10922}}, entries[1].Slots)
	assert.True(t, entries[2].has("myself"))
	assert.Empty(t, entries[2].MasterID)
	assert.True(t, entries[3].has("fail?"))
	assert.Equal(t, [][2]int{{10923, 16382}, {16383, 16383}}, entries[3].Slots)

	m, err := slotMap(entries)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(m, "0-5460=e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 5461-10922="), m)

	_, err = slotMap(entries[:3])
	assert.ErrorContains(t, err, "slots 10923-16383 unassigned")
	_, err = slotMap(append(entries, nodeEntry{ID: "x", Slots: [][2]int{{100, 100}}}))
	assert.ErrorContains(t, err, "slot 100 assigned twice")
	_, err = parseClusterNodes("abc 127.0.0.1:1@2 master - 0 0 1 connected 7-x\n")
	assert.Error(t, err)
}

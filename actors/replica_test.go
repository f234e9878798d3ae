package actors

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// replicaNode is a fake node that answers "<name>:<command>" on its READONLY
// lane (replica batches) and its other lanes alike, unless fail gives an
// error for the replica reads.
type replicaNode struct {
	name string
	// fail, when set and returning an error, is the outcome of each
	// command of a replica batch.
	fail *atomic.Pointer[func(args []string) error]
	// replicaBatches counts the replica batches the node got.
	replicaBatches *atomic.Int64
}

func (n *replicaNode) Receive(ctx actor.Context) {
	b, ok := ctx.Message().(*nodeBatch)
	if !ok {
		return
	}
	if b.replica {
		n.replicaBatches.Add(1)
	}
	for _, i := range b.idx {
		args := b.exec.Commands[i]
		if f := n.fail.Load(); b.replica && f != nil {
			if err := (*f)(args); err != nil {
				b.exec.Results[i] = Result{Err: err}
				continue
			}
		}
		b.exec.Results[i] = Result{Value: n.name + ":" + strings.Join(args, " ")}
	}
	b.replied = len(b.idx)
	ctx.Send(b.coordinator, b.doneMsg())
}

// replicaCluster is three fake shards (slots 0-5460, 5461-10922,
// 10923-16383), masters n0..n2 with replicas nXr0 and nXr1, and a
// coordinator reading by readFrom.
type replicaCluster struct {
	system   *actor.ActorSystem
	coord    *actor.PID
	registry *Registry
	routes   *topology.Routes
	fail     map[string]*atomic.Pointer[func([]string) error]
	batches  map[string]*atomic.Int64
}

func startReplicaCluster(t *testing.T, readFrom ReadFrom) *replicaCluster {
	t.Helper()
	system := quietSystem()
	t.Cleanup(system.Shutdown)
	rc := &replicaCluster{system: system, registry: NewRegistry(),
		fail: map[string]*atomic.Pointer[func([]string) error]{}, batches: map[string]*atomic.Int64{}}
	spawn := func(name string) *actor.PID {
		rc.fail[name] = &atomic.Pointer[func([]string) error]{}
		rc.batches[name] = &atomic.Int64{}
		return system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
			return &replicaNode{name: name, fail: rc.fail[name], replicaBatches: rc.batches[name]}
		}))
	}
	ranges := []topology.SlotRange{{First: 0, Last: 5460}, {First: 5461, Last: 10922}, {First: 10923, Last: 16383}}
	routes := &topology.Routes{Version: 1, ByAddr: map[string]*actor.PID{}, Commands: loadCommandTable(t)}
	var shards []topology.Shard
	for i, r := range ranges {
		master := fmt.Sprintf("n%d", i)
		s := topology.Shard{Master: master, Ranges: []topology.SlotRange{r}}
		pid := spawn(master)
		routes.Nodes = append(routes.Nodes, pid)
		routes.ByAddr[master] = pid
		var replicas []*actor.PID
		for k := range 2 {
			name := fmt.Sprintf("%sr%d", master, k)
			s.Replicas = append(s.Replicas, name)
			rpid := spawn(name)
			replicas = append(replicas, rpid)
			routes.ByAddr[name] = rpid
		}
		routes.Replicas = append(routes.Replicas, replicas)
		shards = append(shards, s)
	}
	m, err := topology.NewSlotMap(shards)
	require.NoError(t, err)
	routes.Map = m
	rc.routes = routes
	rc.coord = system.Root.Spawn(CoordinatorProps(CoordinatorConfig{Routes: routes, ReadFrom: readFrom, Registry: rc.registry}))
	return rc
}

func (rc *replicaCluster) run(t *testing.T, mode Mode, cmds ...[]string) []Result {
	t.Helper()
	done := make(chan *Exec, 1)
	e := &Exec{Commands: cmds, Mode: mode, Done: done}
	e.Preroute(rc.routes, nil)
	rc.system.Root.Send(rc.coord, e)
	select {
	case e := <-done:
		require.NoError(t, e.Err)
		return e.Results
	case <-time.After(5 * time.Second):
		t.Fatal("no answer from the coordinator")
		return nil
	}
}

// node returns the name of the node that answered r.
func node(t *testing.T, r Result) string {
	t.Helper()
	require.NoError(t, r.Err)
	name, _, _ := strings.Cut(r.Value.(string), ":")
	return name
}

// handle returns the registry handle of the named node.
func (rc *replicaCluster) handle(name string) *nodeHandle {
	return rc.registry.handle(rc.routes.ByAddr[name].Id)
}

// Keys and their shards: slot("a")=15495 (n2), slot("b")=3300 (n0),
// slot("c")=7365 (n1), slot("d")=11298 (n2), slot("g")=7233 (n1).
func TestReplicaReadsSplitAPipeline(t *testing.T) {
	for _, mode := range []Mode{Parallel, Serial} {
		t.Run(mode.String(), func(t *testing.T) {
			rc := startReplicaCluster(t, ReadReplicaPreferred)
			results := rc.run(t, mode,
				[]string{"PING"},                   // 0 keyless: master
				[]string{"GET", "a"},               // 1 replica of n2
				[]string{"SET", "b", "1"},          // 2 write: n0
				[]string{"GET", "b"},               // 3 b's slot is written: n0 (read your writes)
				[]string{"GET", "{b}x"},            // 4 same slot: n0
				[]string{"HGET", "g", "f"},         // 5 replica of n1
				[]string{"MGET", "{a}1", "{a}2"},   // 6 one slot: replica of n2
				[]string{"EXISTS", "g"},            // 7 replica of n1
				[]string{"GET", "d"},               // 8 replica of n2
				[]string{"PFCOUNT", "c"},           // 9 flagged write: n1
				[]string{"ECHO", "x"},              // 10 keyless: master of the command before
				[]string{"GETDEL", "{c}z"},         // 11 write: n1
				[]string{"STRLEN", "{c}unrelated"}, // 12 c's slot is written (11): n1
			)
			want := []string{"n2", "n2r", "n0", "n0", "n0", "n1r", "n2r", "n1r", "n2r", "n1", "n1", "n1", "n1"}
			for i, w := range want {
				got := node(t, results[i])
				if strings.HasSuffix(w, "r") {
					assert.Regexp(t, "^"+w+"[01]$", got, "command %d", i)
				} else {
					assert.Equal(t, w, got, "command %d", i)
				}
			}
		})
	}
}

// TestReplicaReadsSpreadEvenly runs single reads (the coordinator's
// startOne) and pipelines (group) of one shard: each of its two replicas
// gets about half, and the master none.
func TestReplicaReadsSpreadEvenly(t *testing.T) {
	rc := startReplicaCluster(t, ReadReplicaPreferred)
	count := map[string]int{}
	for i := range 400 {
		count[node(t, rc.run(t, Parallel, []string{"GET", fmt.Sprintf("{b}%d", i)})[0])]++
	}
	assert.Zero(t, count["n0"])
	assert.InDelta(t, 200, count["n0r0"], 40, "%v", count)
	assert.InDelta(t, 200, count["n0r1"], 40, "%v", count)

	for range 100 {
		var cmds [][]string
		for i := range 20 {
			cmds = append(cmds, []string{"GET", fmt.Sprintf("{b}%d", i)})
		}
		rc.run(t, Parallel, cmds...)
	}
	assert.InDelta(t, 50, rc.batches["n0r0"].Load()-int64(count["n0r0"]), 10, "pipelines per replica")
	assert.InDelta(t, 50, rc.batches["n0r1"].Load()-int64(count["n0r1"]), 10, "pipelines per replica")
}

// TestReplicaFallsBackToMaster makes the replicas of n0 fail each read:
// the read runs on the master instead, and only an error a master would
// give too reaches the caller.
func TestReplicaFallsBackToMaster(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		paused  bool // the replica gets no reads for a while
		wantErr bool // the replica's error is the result; else the master answers
	}{
		{"MOVED to the master", &resp.Error{Msg: "MOVED 3300 n0:6379"}, false, false},
		{"MOVED elsewhere", &resp.Error{Msg: "MOVED 3300 n1:6379"}, false, false},
		{"ASK", &resp.Error{Msg: "ASK 3300 n1:6379"}, false, false},
		{"LOADING", &resp.Error{Msg: "LOADING Redis is loading the dataset in memory"}, true, false},
		{"MASTERDOWN", &resp.Error{Msg: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."}, true, false},
		{"unreachable", fmt.Errorf("%w: %w: n0r0: connection refused", ErrNotSent, ErrNodeUnreachable), true, false},
		{"connection broke", fmt.Errorf("%w: reading: EOF", ErrUnknownOutcome), true, false},
		{"WRONGTYPE stays", &resp.Error{Msg: "WRONGTYPE Operation against a key holding the wrong kind of value"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := startReplicaCluster(t, ReadReplicaPreferred)
			fail := func([]string) error { return tt.err }
			rc.fail["n0r0"].Store(&fail)
			rc.fail["n0r1"].Store(&fail)
			for k, cmds := range [][][]string{
				{{"GET", "b"}}, // one command
				{{"GET", "b"}, {"SET", "a", "1"}, {"GET", "{b}2"}}, // a pipeline
				{{"GET", "b"}, {"SET", "a", "1"}, {"GET", "{b}2"}}, // a serial one
			} {
				results := rc.run(t, Mode(k/2), cmds...)
				if tt.wantErr {
					assert.Equal(t, tt.err, results[0].Err, "the replica's answer")
					continue
				}
				for i, r := range results {
					require.NoError(t, r.Err, "command %d", i)
				}
				assert.Equal(t, "n0:GET b", results[0].Value)
			}
			now := time.Now().UnixNano()
			paused := rc.handle("n0r0").pausedUntil.Load() > now && rc.handle("n0r1").pausedUntil.Load() > now
			assert.Equal(t, tt.paused, paused)
		})
	}
}

// TestReplicaPausedGetsNoReads pauses one replica, then both.
func TestReplicaPausedGetsNoReads(t *testing.T) {
	rc := startReplicaCluster(t, ReadReplicaPreferred)
	rc.handle("n0r0").pause(time.Minute)
	for i := range 20 {
		assert.Equal(t, "n0r1", node(t, rc.run(t, Parallel, []string{"GET", fmt.Sprintf("{b}%d", i)})[0]))
	}
	rc.handle("n0r1").pause(time.Minute)
	assert.Equal(t, "n0", node(t, rc.run(t, Parallel, []string{"GET", "b"})[0]))
}

// TestReadNearestPicksTheLowestLatency sets the latencies the probes would
// measure: reads spread over the nodes within the tolerance of the nearest,
// the master included.
func TestReadNearestPicksTheLowestLatency(t *testing.T) {
	rc := startReplicaCluster(t, ReadNearest)
	spread := func() map[string]int {
		count := map[string]int{}
		for i := range 300 {
			count[node(t, rc.run(t, Parallel, []string{"GET", fmt.Sprintf("{b}%d", i)})[0])]++
		}
		return count
	}
	// Nothing measured yet: all three share.
	count := spread()
	for _, n := range []string{"n0", "n0r0", "n0r1"} {
		assert.InDelta(t, 100, count[n], 30, "%s: %v", n, count)
	}
	// 100µs and 250µs are equal (within 300µs); 5ms is not.
	rc.handle("n0").rtt.Store(int64(100 * time.Microsecond))
	rc.handle("n0r0").rtt.Store(int64(250 * time.Microsecond))
	rc.handle("n0r1").rtt.Store(int64(5 * time.Millisecond))
	count = spread()
	assert.Zero(t, count["n0r1"], "%v", count)
	assert.InDelta(t, 150, count["n0"], 30, "%v", count)
	assert.InDelta(t, 150, count["n0r0"], 30, "%v", count)
	// A clearly nearer replica takes every read.
	rc.handle("n0").rtt.Store(int64(5 * time.Millisecond))
	rc.handle("n0r0").rtt.Store(int64(6 * time.Millisecond))
	rc.handle("n0r1").rtt.Store(int64(time.Millisecond))
	assert.Equal(t, map[string]int{"n0r1": 300}, spread())
}

// TestReplicaReadsLeaveTheGeneralPathOnMasters: a pipeline with a
// transaction, an Exec with Node, and a ReadPrimary coordinator read where
// they read without replica reads.
func TestReplicaReadsLeaveTheGeneralPathOnMasters(t *testing.T) {
	rc := startReplicaCluster(t, ReadReplicaPreferred)
	results := rc.run(t, Parallel, []string{"GET", "a"}, []string{"MULTI"}, []string{"GET", "b"}, []string{"EXEC"})
	assert.Equal(t, "n2", node(t, results[0]))
	assert.Equal(t, "n0", node(t, results[2]))

	// An Exec with Node runs there, one command or more.
	for _, cmds := range [][][]string{{{"GET", "b"}}, {{"GET", "b"}, {"GET", "a"}}} {
		done := make(chan *Exec, 1)
		rc.system.Root.Send(rc.coord, &Exec{Commands: cmds, Node: "n0", Done: done})
		e := <-done
		for _, r := range e.Results {
			assert.Equal(t, "n0", node(t, r))
		}
	}

	rc = startReplicaCluster(t, ReadPrimary)
	results = rc.run(t, Parallel, []string{"GET", "a"}, []string{"GET", "b"})
	assert.Equal(t, "n2", node(t, results[0]))
	assert.Equal(t, "n0", node(t, results[1]))
	assert.Equal(t, "n0", node(t, rc.run(t, Parallel, []string{"GET", "b"})[0]))
}

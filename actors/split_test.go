package actors

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

// Keys and their nodes in startCoordinator: slot("a")=15495 (n2),
// slot("b")=3300 (n0), slot("c")=7365 (n1); "{a}x" shares a's slot.

func TestSplitLayout(t *testing.T) {
	table := benchTable(t)
	tests := []struct {
		name string
		args []string
		want keyLayout
		ok   bool
	}{
		{"MGET", []string{"MGET", "a", "b", "c"}, keyLayout{first: 1, step: 1}, true},
		{"DEL", []string{"del", "a", "b"}, keyLayout{first: 1, step: 1}, true},
		{"UNLINK", []string{"UNLINK", "a", "b"}, keyLayout{first: 1, step: 1}, true},
		{"EXISTS", []string{"EXISTS", "a", "b"}, keyLayout{first: 1, step: 1}, true},
		{"TOUCH", []string{"TOUCH", "a", "b"}, keyLayout{first: 1, step: 1}, true},
		{"MSET key value pairs", []string{"MSET", "a", "1", "b", "2"}, keyLayout{first: 1, step: 2}, true},
		{"MSET without its last value", []string{"MSET", "a", "1", "b"}, keyLayout{}, false},
		{"MSETNX is all-or-nothing", []string{"MSETNX", "a", "1", "b", "2"}, keyLayout{}, false},
		{"no multi_shard tip", []string{"SUNION", "a", "b"}, keyLayout{}, false},
		{"one key", []string{"MGET", "a"}, keyLayout{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, ok := table.Lookup(tt.args)
			require.True(t, ok)
			got, ok := splitLayout(info, tt.args, info.KeyPositions(tt.args, nil))
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}

	// Config.CommandPolicies turns splitting off, or on.
	table = table.WithPolicies(map[string]resp.Policy{"mget": {}, "sunion": {Request: resp.RequestMultiShard}})
	for _, tc := range []struct {
		args []string
		ok   bool
	}{{[]string{"MGET", "a", "b"}, false}, {[]string{"SUNION", "a", "b"}, true}} {
		info, _ := table.Lookup(tc.args)
		_, ok := splitLayout(info, tc.args, info.KeyPositions(tc.args, nil))
		assert.Equal(t, tc.ok, ok, tc.args[0])
	}
}

func TestSplitBySlot(t *testing.T) {
	args := []string{"MSET", "a", "1", "b", "2", "{a}x", "3", "c", "4", "b", "5"}
	parts := splitBySlot(args, keyLayout{first: 1, step: 2})
	require.Len(t, parts, 3)
	assert.Equal(t, []string{"MSET", "a", "1", "{a}x", "3"}, parts[0].args)
	assert.Equal(t, []int{0, 2}, parts[0].ords)
	assert.Equal(t, int(topology.Slot("a")), parts[0].slot)
	assert.Equal(t, []string{"MSET", "b", "2", "b", "5"}, parts[1].args, "a key twice stays twice, in order")
	assert.Equal(t, []int{1, 4}, parts[1].ords)
	assert.Equal(t, []string{"MSET", "c", "4"}, parts[2].args)
	assert.Equal(t, []int{3}, parts[2].ords)
	assert.Equal(t, int(topology.Slot("c")), parts[2].slot)

	// The parts share one array without overlapping.
	parts[0].args = append(parts[0].args, "more")
	assert.Equal(t, []string{"MSET", "b", "2", "b", "5"}, parts[1].args)
	assert.Equal(t, "MSET", args[0], "the caller's command is not touched")
}

func TestMergeSplit(t *testing.T) {
	ok := func(v any, ords ...int) part { return part{ords: ords, result: Result{Value: v}} }
	failed := func(err error, ords ...int) part { return part{ords: ords, result: Result{Err: err}} }
	oom := &resp.Error{Msg: "OOM command not allowed when used memory > 'maxmemory'."}
	unknown := fmt.Errorf("%w: cut", ErrUnknownOutcome)
	mget := []string{"MGET", "a", "b", "c", "d"}
	del := []string{"DEL", "a", "b", "c", "d"}
	mset := []string{"MSET", "a", "1", "b", "2", "c", "3"}
	byOne := keyLayout{first: 1, step: 1}
	tests := []struct {
		name    string
		args    []string
		policy  resp.ResponsePolicy
		keys    keyLayout
		parts   []part
		want    any
		wantErr error
		errText string
	}{
		{name: "MGET in the caller's key order", args: mget, keys: byOne,
			parts: []part{ok([]any{"va", "vc"}, 0, 2), ok([]any{nil}, 1), ok([]any{"vd"}, 3)},
			want:  []any{"va", nil, "vc", "vd"}},
		{name: "DEL sums", args: del, policy: resp.ResponseAggSum, keys: byOne,
			parts: []part{ok(int64(1), 0, 2), ok(int64(0), 1), ok(int64(1), 3)}, want: int64(2)},
		{name: "MSET all succeeded", args: mset, policy: resp.ResponseAllSucceeded, keys: keyLayout{first: 1, step: 2},
			parts: []part{ok("OK", 0), ok("OK", 1, 2)}, want: "OK"},
		{name: "a failed DEL part names its keys and is no partial count", args: del, policy: resp.ResponseAggSum, keys: byOne,
			parts:   []part{ok(int64(2), 0, 2), failed(oom, 1, 3)},
			wantErr: oom, errText: "redactor: DEL part of keys [b d]: OOM"},
		{name: "a failed MSET part", args: mset, policy: resp.ResponseAllSucceeded, keys: keyLayout{first: 1, step: 2},
			parts:   []part{failed(oom, 0, 2), ok("OK", 1)},
			wantErr: oom, errText: "redactor: MSET part of keys [a c]: OOM"},
		{name: "an unknown part makes the whole unknown", args: del, policy: resp.ResponseAggSum, keys: byOne,
			parts:   []part{ok(int64(1), 0), failed(unknown, 1, 2), ok(int64(1), 3)},
			wantErr: ErrUnknownOutcome, errText: "redactor: DEL part of keys [b c]: "},
		{name: "an MGET part of the wrong shape", args: mget, keys: byOne,
			parts:   []part{ok([]any{"va"}, 0, 1), ok([]any{"vc", "vd"}, 2, 3)},
			errText: "MGET part of keys [a b]: reply []interface {}, want an array of one value per key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeParts(tt.args, tt.parts, tt.policy, tt.keys)
			if tt.errText == "" {
				require.NoError(t, got.Err)
				assert.Equal(t, tt.want, got.Value)
				return
			}
			assert.Nil(t, got.Value)
			assert.ErrorContains(t, got.Err, tt.errText)
			if tt.wantErr != nil {
				assert.ErrorIs(t, got.Err, tt.wantErr)
			}
		})
	}
}

func TestKeyListIsBounded(t *testing.T) {
	args := []string{"DEL"}
	var ords []int
	for i := range 25 {
		args = append(args, fmt.Sprintf("k%d", i))
		ords = append(ords, i)
	}
	assert.Equal(t, "[k0 k1 k2 k3 k4 k5 k6 k7 k8 k9 ... 15 more]", keyList(args, keyLayout{first: 1, step: 1}, ords))
}

// TestCoordinatorSplitsMultiKeyCommands runs split commands among others:
// each part is in its place in its node's batch, and the merged Results
// are in the caller's positions, the same in both modes.
func TestCoordinatorSplitsMultiKeyCommands(t *testing.T) {
	for _, mode := range []Mode{Parallel, Serial} {
		t.Run(mode.String(), func(t *testing.T) {
			system, coord, log := startCoordinator(t)
			e := run(t, system, coord, mode,
				[]string{"GET", "a"},                    // 0: n2
				[]string{"MGET", "b", "a", "c", "{a}x"}, // 1: n0 [b], n2 [a {a}x], n1 [c]
				[]string{"GET", "b"},                    // 2: n0
				[]string{"DEL", "a", "b", "c"},          // 3: 3 parts
				[]string{"MSET", "c", "1", "a", "2"},    // 4: n1 [c 1], n2 [a 2]
				[]string{"EXISTS", "{a}x", "a"},         // 5: one slot: not split
				[]string{"MSETNX", "a", "1", "b", "2"},  // 6: never split
				[]string{"MULTI"},                       // 7
				[]string{"MGET", "a", "b"},              // 8: inside MULTI: never split
				[]string{"EXEC"},                        // 9
				[]string{"PING"},                        // 10: keyless, after the split MSET
			)
			require.NoError(t, e.Err)
			assert.Equal(t, Result{Value: "n2:GET a"}, e.Results[0])
			assert.Equal(t, Result{Value: []any{"n0:b", "n2:a", "n1:c", "n2:{a}x"}}, e.Results[1])
			assert.Equal(t, Result{Value: "n0:GET b"}, e.Results[2])
			assert.Equal(t, Result{Value: int64(3)}, e.Results[3])
			assert.Equal(t, Result{Value: "OK"}, e.Results[4])
			assert.Equal(t, Result{Value: int64(2)}, e.Results[5])
			assert.ErrorIs(t, e.Results[6].Err, ErrCrossSlot)
			for i := 7; i <= 9; i++ {
				assert.ErrorIs(t, e.Results[i].Err, ErrCrossSlot, "command %d", i)
			}
			assert.Equal(t, Result{Value: "n2:PING"}, e.Results[10], "a keyless command joins the node of the last part before it")

			// Parts are batch positions past the 11 commands: MGET's
			// 11 (n0), 12 (n2), 13 (n1); DEL's 14 (n2), 15 (n0), 16 (n1);
			// MSET's 17 (n1), 18 (n2). Each node gets them in queue order.
			batches := []string{"n2 got [0 12 14 18 5 10]", "n0 got [11 2 15]", "n1 got [13 16 17]"}
			if mode == Serial {
				assert.Equal(t, []string{batches[0], "n2 done", batches[1], "n0 done", batches[2], "n1 done"}, log.all())
				return
			}
			assert.ElementsMatch(t, batches, log.all()[:3], "every batch is out before any reply")
		})
	}
}

// TestCoordinatorSplitsOneCommand splits the only command of an Exec (as
// Client.Do sends it), which Preroute leaves to the coordinator.
func TestCoordinatorSplitsOneCommand(t *testing.T) {
	system, coord, _ := startCoordinator(t)
	mget := []string{"MGET", "a", "b", "c"}
	e := &Exec{Commands: [][]string{mget}}
	routes := &topology.Routes{Version: 1, Map: mustSlotMap(t), Commands: benchTable(t)}
	assert.Empty(t, e.Preroute(routes, nil), "a split command is not prerouted")
	e = run(t, system, coord, Parallel, mget)
	require.NoError(t, e.Err)
	assert.Equal(t, []Result{{Value: []any{"n2:a", "n0:b", "n1:c"}}}, e.Results)
}

// TestCoordinatorDoesNotSplitOnANamedNode sends a cross-slot MGET to one
// named node, which answers for itself.
func TestCoordinatorDoesNotSplitOnANamedNode(t *testing.T) {
	system, coord, _ := startCoordinator(t)
	done := make(chan *Exec, 1)
	system.Root.Send(coord, &Exec{Commands: [][]string{{"MGET", "a", "b"}}, Node: "n1", Done: done})
	e := <-done
	require.NoError(t, e.Err)
	assert.Equal(t, []Result{{Value: []any{"n1:a", "n1:b"}}}, e.Results)
}

func mustSlotMap(t *testing.T) *topology.SlotMap {
	ranges := []topology.SlotRange{{First: 0, Last: 5460}, {First: 5461, Last: 10922}, {First: 10923, Last: 16383}}
	var shards []topology.Shard
	for i, r := range ranges {
		shards = append(shards, topology.Shard{Master: fmt.Sprintf("n%d", i), Ranges: []topology.SlotRange{r}})
	}
	m, err := topology.NewSlotMap(shards)
	require.NoError(t, err)
	return m
}

package redactor_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/topology"
)

// tagsOnTwoMasters returns two hash tags whose slots two different masters
// of the shared cluster serve.
func tagsOnTwoMasters(t *testing.T) (string, string) {
	return tagsOnTwoMastersOf(t, cluster)
}

// tagsOnTwoMastersOf returns two hash tags whose slots two different masters
// of lc serve, found by asking the masters directly.
func tagsOnTwoMastersOf(t *testing.T, lc *localcluster.Cluster) (string, string) {
	t.Helper()
	first := "{" + t.Name() + "-0}"
	firstOwner := ownerIn(t, lc, first)
	for i := 1; i < 100; i++ {
		tag := fmt.Sprintf("{%s-%d}", t.Name(), i)
		if ownerIn(t, lc, tag) != firstOwner {
			return first, tag
		}
	}
	t.Fatal("no two tags on different masters")
	return "", ""
}

// ownerIn returns the real address of the master of lc serving key's slot.
func ownerIn(t *testing.T, lc *localcluster.Cluster, key string) string {
	t.Helper()
	owner, err := lc.SlotOwner(testContext(t), int(topology.Slot(key)))
	require.NoError(t, err)
	return owner
}

// serverTimeScript returns the server's clock in microseconds; being a
// script with a key, it runs on the key's master.
const serverTimeScript = "local t = redis.call('TIME') return t[1] * 1000000 + t[2]"

// TestParallelOverridePrecedence proves by the servers' own clocks which
// way a pipeline ran. The first node batch blocks 300 ms (BLPOP on an empty
// list) and then reads its master's clock; the second batch reads the other
// master's clock at once. Run in parallel, the second clock reading comes
// ~300 ms before the first; run serially, after it.
func TestParallelOverridePrecedence(t *testing.T) {
	tagA, tagB := tagsOnTwoMasters(t)
	tests := []struct {
		name         string
		clientSerial bool
		opts         []redactor.PipelineOption
		wantParallel bool
	}{
		{name: "client parallel, no override", wantParallel: true},
		{name: "client serial, no override", clientSerial: true, wantParallel: false},
		{name: "client parallel, pipeline serial", opts: []redactor.PipelineOption{redactor.WithParallel(false)}, wantParallel: false},
		{name: "client serial, pipeline parallel", clientSerial: true, opts: []redactor.PipelineOption{redactor.WithParallel(true)}, wantParallel: true},
		{name: "client parallel, pipeline parallel", opts: []redactor.PipelineOption{redactor.WithParallel(true)}, wantParallel: true},
		{name: "client serial, pipeline serial", clientSerial: true, opts: []redactor.PipelineOption{redactor.WithParallel(false)}, wantParallel: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			c := newClient(t, redactor.Config{SerialPipelines: tt.clientSerial})
			p := c.Pipeline(tt.opts...)
			p.Do("BLPOP", tagA+":empty", "0.3")
			p.Do("EVAL", serverTimeScript, "1", tagA+":clock")
			p.Do("EVAL", serverTimeScript, "1", tagB+":clock")
			results, err := p.Exec(ctx)
			require.NoError(t, err)
			for _, r := range results {
				require.NoError(t, r.Err)
			}
			require.Nil(t, results[0].Value, "BLPOP times out on an empty list")
			clockA, clockB := results[1].Value.(int64), results[2].Value.(int64)
			gap := clockB - clockA
			t.Logf("second batch read its clock %s ms after the first", strconv.FormatFloat(float64(gap)/1000, 'f', 1, 64))
			if tt.wantParallel {
				assert.Less(t, gap, int64(-150_000), "the batches must overlap")
			} else {
				assert.GreaterOrEqual(t, gap, int64(0), "the second batch must start after the first one's replies")
			}
		})
	}
}

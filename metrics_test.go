package redactor_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/topology"
)

// TestMetrics runs a scripted scenario against a cluster of its own, each
// master behind a proxy, and checks the exact counts Config.MeterProvider
// recorded: pipelines by operation name and error, batches and commands
// per node, MOVED and ASK redirects, retries, unknown outcomes, and open
// connections; and that Config.OnBatch still sees every batch.
func TestMetrics(t *testing.T) {
	pc := startProxiedCluster(t, localcluster.Config{Masters: 3})
	ctx := testContext(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	var userBatches atomic.Int32
	c, err := redactor.New(ctx, redactor.Config{
		Addrs:         []string{pc.proxyOf(t, pc.Addrs()[0]).Addr()},
		MeterProvider: mp,
		OnBatch:       func(actors.BatchInfo) { userBatches.Add(1) },
	})
	require.NoError(t, err)
	defer c.Close()

	// Masters by their real addresses, each with a hash tag it serves;
	// the client knows them by their proxies' addresses.
	realA, realB, realC := pc.Addrs()[0], pc.Addrs()[1], pc.Addrs()[2]
	tags := tagsOfMasters(t, pc.Cluster)
	tagA, tagB, tagC := tags[realA], tags[realB], tags[realC]
	a, b, cc := pc.proxyOf(t, realA).Addr(), pc.proxyOf(t, realB).Addr(), pc.proxyOf(t, realC).Addr()

	// 1. 10 pipelines of 12 SETs, 4 on each master: 30 batches.
	for i := range 10 {
		p := c.Pipeline()
		for k := range 4 {
			for _, tag := range []string{tagA, tagB, tagC} {
				p.Do("SET", fmt.Sprintf("%s%d:%d", tag, i, k), "v")
			}
		}
		results, err := p.Exec(ctx)
		require.NoError(t, err)
		for _, r := range results {
			require.NoError(t, r.Err)
		}
	}
	// 2. An error reply of its own.
	require.NoError(t, c.Do(ctx, "SET", tagA+"str", "x").Err)
	require.ErrorContains(t, c.Do(ctx, "INCR", tagA+"str").Err, "ERR")

	// 3. MOVED: tagC's slot moves to A behind the client's back; 5 GETs
	// go to C, come back MOVED, and go again to A.
	slotC := int(topology.Slot(tagC))
	require.NoError(t, pc.MoveSlots(ctx, []int{slotC}, realC, realA))
	p := c.Pipeline()
	for i := range 5 {
		p.Do("GET", fmt.Sprintf("%s%d:0", tagC, i))
	}
	results, err := p.Exec(ctx)
	require.NoError(t, err)
	for _, r := range results {
		require.Equal(t, redactor.Result{Value: "v"}, r)
	}

	// 4. ASK: tagB's slot migrates to C, its keys moved already.
	slotB := int(topology.Slot(tagB))
	require.NoError(t, pc.BeginMigration(ctx, slotB, realB, realC))
	require.NoError(t, pc.MigrateKeys(ctx, slotB, realB, realC))
	require.Equal(t, redactor.Result{Value: "v"}, c.Do(ctx, "GET", tagB+"0:0"))

	conns := sums(t, collect(t, reader), "redactor.connection.count")
	assert.Equal(t, map[string]int64{a: 1, b: 1, cc: 1}, conns, "one pipelined connection per master")

	// 5. Unknown outcomes: A's connection is cut once the INCRs are out.
	pc.proxyOf(t, realA).CutAfterRequest()
	p = c.Pipeline()
	for k := range 3 {
		p.Do("INCR", fmt.Sprintf("%scount:%d", tagA, k))
	}
	results, err = p.Exec(ctx)
	require.NoError(t, err)
	for _, r := range results {
		require.ErrorIs(t, r.Err, redactor.ErrUnknownOutcome)
	}

	rm := collect(t, reader)
	ops := histograms(t, rm, "db.client.operation.duration")
	opCounts := map[string]uint64{}
	for _, h := range ops {
		assert.Equal(t, "redis", attr(h.attrs, "db.system.name"))
		assert.Positive(t, h.sum)
		key := attr(h.attrs, "db.operation.name")
		if e := attr(h.attrs, "error.type"); e != "" {
			key += " error.type=" + e
		}
		if s := attr(h.attrs, "db.response.status_code"); s != "" {
			key += " status=" + s
		}
		opCounts[key] += h.count
	}
	assert.Equal(t, map[string]uint64{
		"PIPELINE SET":                   10,
		"SET":                            1,
		"INCR error.type=ERR status=ERR": 1,
		"PIPELINE GET":                   1,
		"GET":                            1,
		"PIPELINE INCR error.type=unknown_outcome": 1,
	}, opCounts)

	// Batches: A 10+2+1 (MOVED's retry)+1 (cut), B 10+1 (ASK), C 10+1
	// (MOVED)+1 (ASKING): 37 in all, of 120+2+10+2+3 commands.
	batches := byNode(histograms(t, rm, "redactor.batch.duration"))
	assert.Equal(t, map[string]uint64{a: 14, b: 11, cc: 12}, batches.count)
	commands := byNode(histograms(t, rm, "redactor.batch.commands"))
	assert.Equal(t, map[string]uint64{a: 14, b: 11, cc: 12}, commands.count)
	assert.Equal(t, map[string]float64{a: 40 + 2 + 5 + 3, b: 40 + 1, cc: 40 + 5 + 1}, commands.sum)
	assert.Equal(t, int32(37), userBatches.Load(), "Config.OnBatch still sees every batch")

	redirects := map[string]int64{}
	for _, s := range sumPoints(t, rm, "redactor.redirects") {
		redirects[nodeOf(s.attrs)+" "+attr(s.attrs, "redactor.redirect.kind")] += s.value
	}
	assert.Equal(t, map[string]int64{cc + " moved": 5, b + " ask": 1}, redirects)
	assert.Equal(t, map[string]int64{a: 5, cc: 1}, sums(t, rm, "redactor.retries"))
	assert.Equal(t, map[string]int64{a: 3}, sums(t, rm, "redactor.unknown_outcomes"))
}

// tagsOfMasters returns a hash tag served by each master of lc, by its
// real address.
func tagsOfMasters(t *testing.T, lc *localcluster.Cluster) map[string]string {
	t.Helper()
	tags := map[string]string{}
	for i := 0; len(tags) < len(lc.Addrs()) && i < 1000; i++ {
		tag := fmt.Sprintf("{%s-%d}", t.Name(), i)
		if owner := ownerIn(t, lc, tag); tags[owner] == "" {
			tags[owner] = tag
		}
	}
	require.Len(t, tags, len(lc.Addrs()))
	return tags
}

func collect(t *testing.T, reader *sdkmetric.ManualReader) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	return rm
}

// find returns the metric called name.
func find(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	t.Helper()
	var names []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
			names = append(names, m.Name)
		}
	}
	sort.Strings(names)
	t.Fatalf("no metric %s among %s", name, strings.Join(names, ", "))
	return metricdata.Metrics{}
}

type histPoint struct {
	attrs attribute.Set
	count uint64
	sum   float64
}

// histograms returns the points of the histogram called name.
func histograms(t *testing.T, rm metricdata.ResourceMetrics, name string) []histPoint {
	t.Helper()
	var out []histPoint
	switch data := find(t, rm, name).Data.(type) {
	case metricdata.Histogram[float64]:
		for _, p := range data.DataPoints {
			out = append(out, histPoint{p.Attributes, p.Count, p.Sum})
		}
	case metricdata.Histogram[int64]:
		for _, p := range data.DataPoints {
			out = append(out, histPoint{p.Attributes, p.Count, float64(p.Sum)})
		}
	default:
		t.Fatalf("%s is a %T, not a histogram", name, data)
	}
	return out
}

type sumPoint struct {
	attrs attribute.Set
	value int64
}

// sumPoints returns the points of the int64 sum (counter or up-down
// counter) called name.
func sumPoints(t *testing.T, rm metricdata.ResourceMetrics, name string) []sumPoint {
	t.Helper()
	data, ok := find(t, rm, name).Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is not an int64 sum", name)
	var out []sumPoint
	for _, p := range data.DataPoints {
		out = append(out, sumPoint{p.Attributes, p.Value})
	}
	return out
}

// sums returns the values of the sum called name by node.
func sums(t *testing.T, rm metricdata.ResourceMetrics, name string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, s := range sumPoints(t, rm, name) {
		out[nodeOf(s.attrs)] += s.value
	}
	return out
}

type nodeHists struct {
	count map[string]uint64
	sum   map[string]float64
}

func byNode(points []histPoint) nodeHists {
	h := nodeHists{count: map[string]uint64{}, sum: map[string]float64{}}
	for _, p := range points {
		h.count[nodeOf(p.attrs)] += p.count
		h.sum[nodeOf(p.attrs)] += p.sum
	}
	return h
}

// nodeOf returns "server.address:server.port".
func nodeOf(set attribute.Set) string {
	return attr(set, "server.address") + ":" + attr(set, "server.port")
}

// attr returns the value of key in set as text, "" when it has none.
func attr(set attribute.Set, key string) string {
	v, ok := set.Value(attribute.Key(key))
	if !ok {
		return ""
	}
	return v.Emit()
}

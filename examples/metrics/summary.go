package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// summary is what the client recorded, read from a ManualReader.
type summary struct {
	ops       []opStats        // by db.operation.name and error.type, most first
	nodes     []nodeStats      // by address
	redirects map[string]int64 // by redactor.redirect.kind
	retries   int64            // redactor.retries
	unknown   int64            // redactor.unknown_outcomes
	conns     map[string]int64 // redactor.connection.count by node
}

// opStats is one point of db.client.operation.duration.
type opStats struct {
	name    string // db.operation.name, with error.type if any
	count   uint64
	seconds float64
	bounds  []float64
	buckets []uint64
}

// nodeStats is one node's points of redactor.batch.duration and
// redactor.batch.commands.
type nodeStats struct {
	addr     string
	batches  uint64
	seconds  float64
	commands int64
}

// summarizer is an exporter that summarizes each export before passing it
// on to the exporter it wraps.
type summarizer struct {
	sdkmetric.Exporter
	mu      sync.Mutex
	summary *summary
}

// Export summarizes rm, which the reader reuses once Export returns, and
// exports it.
func (e *summarizer) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	s := summarize(rm)
	e.mu.Lock()
	e.summary = s
	e.mu.Unlock()
	return e.Exporter.Export(ctx, rm)
}

// last returns the summary of the last export.
func (e *summarizer) last() *summary {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.summary
}

// summarize reads the client's metrics out of rm.
func summarize(rm *metricdata.ResourceMetrics) *summary {
	s := &summary{redirects: map[string]int64{}, conns: map[string]int64{}}
	nodes := map[string]*nodeStats{}
	node := func(set attribute.Set) *nodeStats {
		addr := value(set, "server.address") + ":" + value(set, "server.port")
		if nodes[addr] == nil {
			nodes[addr] = &nodeStats{addr: addr}
		}
		return nodes[addr]
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range data.DataPoints {
					switch m.Name {
					case "db.client.operation.duration":
						name := value(p.Attributes, "db.operation.name")
						if e := value(p.Attributes, "error.type"); e != "" {
							name += " (error.type=" + e + ")"
						}
						s.ops = append(s.ops, opStats{name: name, count: p.Count, seconds: p.Sum,
							bounds: slices.Clone(p.Bounds), buckets: slices.Clone(p.BucketCounts)})
					case "redactor.batch.duration":
						n := node(p.Attributes)
						n.batches += p.Count
						n.seconds += p.Sum
					}
				}
			case metricdata.Histogram[int64]:
				for _, p := range data.DataPoints {
					if m.Name == "redactor.batch.commands" {
						node(p.Attributes).commands += p.Sum
					}
				}
			case metricdata.Sum[int64]:
				for _, p := range data.DataPoints {
					switch m.Name {
					case "redactor.redirects":
						s.redirects[value(p.Attributes, "redactor.redirect.kind")] += p.Value
					case "redactor.retries":
						s.retries += p.Value
					case "redactor.unknown_outcomes":
						s.unknown += p.Value
					case "redactor.connection.count":
						s.conns[node(p.Attributes).addr] += p.Value
					}
				}
			}
		}
	}
	sort.Slice(s.ops, func(i, j int) bool { return s.ops[i].count > s.ops[j].count })
	for _, n := range nodes {
		if n.batches > 0 {
			s.nodes = append(s.nodes, *n)
		}
	}
	sort.Slice(s.nodes, func(i, j int) bool { return s.nodes[i].addr < s.nodes[j].addr })
	return s
}

// print writes the summary as text.
func (s *summary) print(w io.Writer, d time.Duration) {
	fmt.Fprintf(w, "\nrecorded in %v:\n\ndb.client.operation.duration, by db.operation.name:\n", d)
	for _, op := range s.ops {
		fmt.Fprintf(w, "  %-34s %7d operations, mean %s\n", op.name, op.count, ms(op.seconds/float64(op.count)))
		op.printBuckets(w)
	}
	fmt.Fprintln(w, "\nnode batches (redactor.batch.duration, redactor.batch.commands):")
	for _, n := range s.nodes {
		fmt.Fprintf(w, "  %-22s %7d batches, mean %s, %.1f commands each, %d open connections\n",
			n.addr, n.batches, ms(n.seconds/float64(n.batches)), float64(n.commands)/float64(n.batches), s.conns[n.addr])
	}
	fmt.Fprintf(w, "\nredirects: %d moved, %d ask; retries: %d; unknown outcomes: %d\n",
		s.redirects["moved"], s.redirects["ask"], s.retries, s.unknown)
}

// printBuckets draws the histogram's buckets from the first to the last
// that holds anything.
func (op opStats) printBuckets(w io.Writer) {
	first, last, most := -1, -1, uint64(0)
	for i, n := range op.buckets {
		if n > 0 {
			if first < 0 {
				first = i
			}
			last = i
			most = max(most, n)
		}
	}
	for i := first; i >= 0 && i <= last; i++ {
		label := "> " + ms(op.bounds[len(op.bounds)-1])
		if i < len(op.bounds) {
			label = "<= " + ms(op.bounds[i])
		}
		bar := strings.Repeat("#", int(40*op.buckets[i]/most))
		fmt.Fprintf(w, "      %10s %7d %s\n", label, op.buckets[i], bar)
	}
}

// ms formats seconds as milliseconds.
func ms(seconds float64) string {
	return fmt.Sprintf("%.3g ms", seconds*1000)
}

// value returns the value of key in set as text, "" when it has none.
func value(set attribute.Set, key string) string {
	v, ok := set.Value(attribute.Key(key))
	if !ok {
		return ""
	}
	return v.Emit()
}

package redactor

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/topology"
)

// meterName names the client's meter (the instrumentation scope).
const meterName = "github.com/redactor-go/redactor"

// Bucket boundaries: semconv's for db.client.operation.duration, with
// three more below a millisecond, where most Redis calls end.
var (
	durationBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}
	commandBuckets  = []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000}
)

// maxOpAttrs bounds how many attribute sets of db.client.operation.duration
// the client keeps made; beyond it each new one is made per pipeline.
const maxOpAttrs = 1024

// metrics records a client's OpenTelemetry metrics (Config.MeterProvider),
// from the observers of its actors: the coordinators' ExecObserver, the
// BatchObserver, the coordinators' events, and the Registry's connections.
// See docs/metrics.md.
type metrics struct {
	opDuration    metric.Float64Histogram
	batchDuration metric.Float64Histogram
	batchCommands metric.Int64Histogram
	redirects     metric.Int64Counter
	retries       metric.Int64Counter
	unknown       metric.Int64Counter
	conns         metric.Int64ObservableUpDownCounter
	registration  metric.Registration

	// routes gives the command table that operation names are checked
	// against.
	routes func() *topology.Routes
	// nodes holds a *nodeAttrs by node address.
	nodes sync.Map
	// ops holds the options of each opKey made so far, opsMade of them.
	ops     sync.Map
	opsMade atomic.Int32
}

// nodeAttrs are the measurement options of one node's metrics, made once.
type nodeAttrs struct {
	record       []metric.RecordOption  // server.address, server.port
	add          []metric.AddOption     // the same
	moved, asked []metric.AddOption     // with redactor.redirect.kind
	observeConns []metric.ObserveOption // the same as record
}

// newMetrics makes the client's instruments with the meter of mp, and
// registers the callback that observes open connections in registry.
func newMetrics(mp metric.MeterProvider, registry *actors.Registry, routes func() *topology.Routes) (*metrics, error) {
	meter := mp.Meter(meterName)
	m := &metrics{routes: routes}
	var errs [7]error
	m.opDuration, errs[0] = meter.Float64Histogram("db.client.operation.duration",
		metric.WithUnit("s"), metric.WithDescription("Duration of database client operations: one per pipeline or single command."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	m.batchDuration, errs[1] = meter.Float64Histogram("redactor.batch.duration",
		metric.WithUnit("s"), metric.WithDescription("Duration of a node batch, from its hand-off to its node to its last outcome."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	m.batchCommands, errs[2] = meter.Int64Histogram("redactor.batch.commands",
		metric.WithUnit("{command}"), metric.WithDescription("Commands in a node batch."),
		metric.WithExplicitBucketBoundaries(commandBuckets...))
	m.redirects, errs[3] = meter.Int64Counter("redactor.redirects",
		metric.WithUnit("{redirect}"), metric.WithDescription("MOVED and ASK replies."))
	m.retries, errs[4] = meter.Int64Counter("redactor.retries",
		metric.WithUnit("{command}"), metric.WithDescription("Commands sent again after a redirect or a failure."))
	m.unknown, errs[5] = meter.Int64Counter("redactor.unknown_outcomes",
		metric.WithUnit("{command}"), metric.WithDescription("Commands left with ErrUnknownOutcome."))
	m.conns, errs[6] = meter.Int64ObservableUpDownCounter("redactor.connection.count",
		metric.WithUnit("{connection}"), metric.WithDescription("Open pipelined connections per node."))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for addr, n := range registry.OpenConns() {
			o.ObserveInt64(m.conns, int64(n), m.node(addr).observeConns...)
		}
		return nil
	}, m.conns)
	if err != nil {
		return nil, err
	}
	m.registration = reg
	return m, nil
}

// stop unregisters the connections' callback.
func (m *metrics) stop() {
	if m != nil && m.registration != nil {
		_ = m.registration.Unregister()
	}
}

// node returns the options of the node at addr.
func (m *metrics) node(addr string) *nodeAttrs {
	if a, ok := m.nodes.Load(addr); ok {
		return a.(*nodeAttrs)
	}
	server := []attribute.KeyValue{attribute.String("server.address", addr)}
	if host, port, err := net.SplitHostPort(addr); err == nil {
		server[0] = attribute.String("server.address", host)
		if p, err := strconv.Atoi(port); err == nil {
			server = append(server, attribute.Int("server.port", p))
		}
	}
	set := attribute.NewSet(server...)
	kind := func(k string) []metric.AddOption {
		return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(append(server, attribute.String("redactor.redirect.kind", k))...))}
	}
	a := &nodeAttrs{
		record:       []metric.RecordOption{metric.WithAttributeSet(set)},
		add:          []metric.AddOption{metric.WithAttributeSet(set)},
		moved:        kind("moved"),
		asked:        kind("ask"),
		observeConns: []metric.ObserveOption{metric.WithAttributeSet(set)},
	}
	actual, _ := m.nodes.LoadOrStore(addr, a)
	return actual.(*nodeAttrs)
}

// batch records a node batch: its duration and size, its redirects and
// retried commands. It runs on the goroutine that completed the batch.
func (m *metrics) batch(b actors.BatchInfo) {
	ctx := context.Background()
	a := m.node(b.Addr)
	m.batchDuration.Record(ctx, b.Duration.Seconds(), a.record...)
	m.batchCommands.Record(ctx, int64(b.Commands), a.record...)
	if b.Moved > 0 {
		m.redirects.Add(ctx, int64(b.Moved), a.moved...)
	}
	if b.Asked > 0 {
		m.redirects.Add(ctx, int64(b.Asked), a.asked...)
	}
	if b.Retried > 0 {
		m.retries.Add(ctx, int64(b.Retried), a.add...)
	}
}

// exec records a pipeline the coordinator answered, on its goroutine.
func (m *metrics) exec(e actors.ExecInfo) {
	m.opDuration.Record(context.Background(), e.Duration.Seconds(), m.opOptions(e)...)
}

// event counts what the coordinators publish that batches do not tell:
// commands left with an unknown outcome.
func (m *metrics) event(ev any) {
	if u, ok := ev.(*actors.UnknownOutcome); ok {
		m.unknown.Add(context.Background(), int64(u.Commands), m.node(u.Addr).add...)
	}
}

// opKey is what the attributes of one pipeline's operation depend on.
type opKey struct {
	kind    opKind
	name    string // the commands' shared name as queued, or ""
	errType string
	status  string
}

// opOptions returns the options of e's operation, made once per opKey (up
// to maxOpAttrs of them).
func (m *metrics) opOptions(e actors.ExecInfo) []metric.RecordOption {
	kind, name := operationOf(e.Args)
	k := opKey{kind: kind, name: name}
	if err := e.Err; err != nil || e.FirstErr != nil {
		if err == nil {
			err = e.FirstErr
		}
		k.errType, k.status = errorType(err)
	}
	if opts, ok := m.ops.Load(k); ok {
		return opts.([]metric.RecordOption)
	}
	attrs := []attribute.KeyValue{
		attribute.String("db.system.name", "redis"),
		attribute.String("db.operation.name", m.operationName(k.kind, k.name)),
	}
	if k.errType != "" {
		attrs = append(attrs, attribute.String("error.type", k.errType))
	}
	if k.status != "" {
		attrs = append(attrs, attribute.String("db.response.status_code", k.status))
	}
	opts := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
	if m.opsMade.Load() < maxOpAttrs {
		if _, loaded := m.ops.LoadOrStore(k, opts); !loaded {
			m.opsMade.Add(1)
		}
	}
	return opts
}

// operationName returns db.operation.name for a pipeline of kind whose
// commands share name (or none: ""). A name the server's command table
// does not know counts as none, so that a caller's typo or a name made of
// data cannot make a series per value: a single command is then "_OTHER".
func (m *metrics) operationName(kind opKind, name string) string {
	if name != "" {
		if routes := m.routes(); routes == nil || !knownCommand(routes, name) {
			name = ""
		}
	}
	switch {
	case kind == opSingle && name == "":
		return otherValue
	case kind == opSingle:
		return name
	case name == "":
		return kind.String()
	default:
		return kind.String() + " " + name
	}
}

// knownCommand reports whether the command table of routes knows name.
func knownCommand(routes *topology.Routes, name string) bool {
	_, ok := routes.Commands.Lookup([]string{name})
	return ok
}

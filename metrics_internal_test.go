package redactor

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/resp"
	"github.com/redactor-go/redactor/topology"
)

func TestOperationOf(t *testing.T) {
	tests := []struct {
		name     string
		args     [][]string
		wantKind opKind
		wantName string
	}{
		{name: "one command", args: [][]string{{"get", "k"}}, wantKind: opSingle, wantName: "get"},
		{name: "same name, any case", args: [][]string{{"SET", "a", "1"}, {"set", "b", "2"}}, wantKind: opPipeline, wantName: "SET"},
		{name: "mixed", args: [][]string{{"SET", "a", "1"}, {"GET", "a"}}, wantKind: opPipeline},
		{name: "empty", args: nil, wantKind: opPipeline},
		{name: "transaction of one name", args: [][]string{{"MULTI"}, {"INCR", "a"}, {"INCR", "b"}, {"EXEC"}}, wantKind: opMulti, wantName: "INCR"},
		{name: "transaction", args: [][]string{{"multi"}, {"INCR", "a"}, {"GET", "b"}, {"exec"}}, wantKind: opMulti},
		{name: "MULTI without EXEC last", args: [][]string{{"MULTI"}, {"INCR", "a"}, {"EXEC"}, {"GET", "a"}}, wantKind: opPipeline},
		{name: "command without a name", args: [][]string{{}}, wantKind: opSingle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, name := operationOf(tt.args)
			assert.Equal(t, tt.wantKind, kind)
			assert.Equal(t, tt.wantName, name)
		})
	}
}

func TestErrorType(t *testing.T) {
	moved := &resp.Error{Msg: "MOVED 1 127.0.0.1:7000"}
	tests := []struct {
		name       string
		err        error
		wantType   string
		wantStatus string
	}{
		{name: "error reply", err: &resp.Error{Msg: "WRONGTYPE Operation against a key"}, wantType: "WRONGTYPE", wantStatus: "WRONGTYPE"},
		{name: "wrapped error reply", err: fmt.Errorf("x: %w", &resp.Error{Msg: "CLUSTERDOWN The cluster is down"}), wantType: "CLUSTERDOWN", wantStatus: "CLUSTERDOWN"},
		{name: "a script's own prefix", err: &resp.Error{Msg: "my error 42"}, wantType: otherValue, wantStatus: otherValue},
		{name: "too many redirects", err: fmt.Errorf("%w (5): %w", ErrTooManyRedirects, moved), wantType: "too_many_redirects"},
		{name: "deadline", err: fmt.Errorf("redactor: pipeline: %w", context.DeadlineExceeded), wantType: "timeout"},
		{name: "unknown outcome", err: fmt.Errorf("%w: node: EOF", ErrUnknownOutcome), wantType: "unknown_outcome"},
		{name: "unreachable", err: fmt.Errorf("%w: %w: n: refused", ErrNotSent, ErrNodeUnreachable), wantType: "node_unreachable"},
		{name: "not sent", err: fmt.Errorf("%w: n: closed", ErrNotSent), wantType: "not_sent"},
		{name: "cross slot", err: ErrCrossSlot, wantType: "cross_slot"},
		{name: "no routes", err: actors.ErrNoRoutes, wantType: "no_routes"},
		{name: "anything else", err: errors.New("boom"), wantType: otherValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errType, status := errorType(tt.err)
			assert.Equal(t, tt.wantType, errType)
			assert.Equal(t, tt.wantStatus, status)
		})
	}
}

// TestNoMeterProviderNoObservers checks that a client without a
// MeterProvider installs no observer of its own: the coordinators get the
// user's OnBatch (or none) and no OnExec.
func TestNoMeterProviderNoObservers(t *testing.T) {
	c := &Client{}
	onBatch, onExec, _ := c.observers()
	assert.Nil(t, onBatch)
	assert.Nil(t, onExec)

	calls := 0
	c.cfg.OnBatch = func(actors.BatchInfo) { calls++ }
	onBatch, onExec, _ = c.observers()
	onBatch(actors.BatchInfo{})
	assert.Equal(t, 1, calls, "the user's own observer, as it is")
	assert.Nil(t, onExec)
}

// BenchmarkMetricsRecord measures what the metrics cost a Client.Do: one
// operation and one node batch recorded, with the SDK's MeterProvider.
func BenchmarkMetricsRecord(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	m, err := newMetrics(mp, actors.NewRegistry(), func() *topology.Routes { return nil })
	if err != nil {
		b.Fatal(err)
	}
	args := [][]string{{"GET", "k"}}
	b.Run("exec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.exec(actors.ExecInfo{Commands: 1, Args: args, Duration: time.Millisecond})
		}
	})
	b.Run("batch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.batch(actors.BatchInfo{Addr: "127.0.0.1:7000", Commands: 1, Written: 1, Replied: 1, OK: 1, Duration: time.Millisecond})
		}
	})
}

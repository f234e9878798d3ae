package actors

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/redactor-go/redactor/resp"
)

func TestMergeParts(t *testing.T) {
	ok := func(addr string, v any) part { return part{addr: addr, result: Result{Value: v}} }
	failed := func(addr string, err error) part { return part{addr: addr, result: Result{Err: err}} }
	unknown := fmt.Errorf("%w: cut", ErrUnknownOutcome)
	loading := &resp.Error{Msg: "LOADING loading the dataset"}
	tests := []struct {
		name    string
		policy  resp.ResponsePolicy
		parts   []part
		want    any
		wantErr error
	}{
		{"sum", resp.ResponseAggSum, []part{ok("a", int64(2)), ok("b", int64(3))}, int64(5), nil},
		{"min", resp.ResponseAggMin, []part{ok("a", int64(2)), ok("b", int64(1))}, int64(1), nil},
		{"max", resp.ResponseAggMax, []part{ok("a", int64(2)), ok("b", int64(7))}, int64(7), nil},
		{"sum of a non-integer", resp.ResponseAggSum, []part{ok("a", "x")}, nil, errors.New("want an integer")},
		{"all succeeded", resp.ResponseAllSucceeded, []part{ok("a", "OK"), ok("b", "OK")}, "OK", nil},
		{"all succeeded but one", resp.ResponseAllSucceeded, []part{ok("a", "OK"), failed("b", loading)}, nil, loading},
		{"one succeeded", resp.ResponseOneSucceeded, []part{failed("a", loading), ok("b", "OK")}, "OK", nil},
		{"none succeeded", resp.ResponseOneSucceeded, []part{failed("a", loading)}, nil, loading},
		{"logical and", resp.ResponseAggLogicalAnd, []part{ok("a", []any{int64(1), int64(1)}), ok("b", []any{int64(1), int64(0)})}, []any{int64(1), int64(0)}, nil},
		{"logical or", resp.ResponseAggLogicalOr, []part{ok("a", int64(0)), ok("b", int64(1))}, int64(1), nil},
		{"default concatenates", resp.ResponseDefault, []part{ok("a", []any{"x"}), ok("b", []any{"y", "z"})}, []any{"x", "y", "z"}, nil},
		{"default merges maps", resp.ResponseDefault, []part{ok("a", map[string]any{"x": "1"}), ok("b", map[string]any{"y": "2"})}, map[string]any{"x": "1", "y": "2"}, nil},
		{"special maps nodes", resp.ResponseSpecial, []part{ok("a", "1"), ok("b", "2")}, map[string]any{"a": "1", "b": "2"}, nil},
		// An unknown outcome anywhere makes the merged outcome unknown,
		// whatever the policy.
		{"unknown outcome", resp.ResponseOneSucceeded, []part{ok("a", "OK"), failed("b", unknown)}, nil, ErrUnknownOutcome},
		{"unknown outcome in a sum", resp.ResponseAggSum, []part{ok("a", int64(1)), failed("b", unknown)}, nil, ErrUnknownOutcome},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeParts([]string{"CMD"}, tt.parts, tt.policy, keyLayout{})
			if tt.wantErr == nil {
				assert.NoError(t, got.Err)
				assert.Equal(t, tt.want, got.Value)
				return
			}
			assert.Nil(t, got.Value)
			if errors.Is(got.Err, tt.wantErr) {
				return
			}
			assert.ErrorContains(t, got.Err, tt.wantErr.Error())
		})
	}
	// A failure names its node.
	got := mergeParts([]string{"FLUSHALL"}, []part{ok("a", "OK"), failed("127.0.0.1:7001", loading)}, resp.ResponseAllSucceeded, keyLayout{})
	assert.ErrorContains(t, got.Err, "FLUSHALL on 127.0.0.1:7001: LOADING")
	var re *resp.Error
	assert.ErrorAs(t, got.Err, &re)
}

// TestPartErrSaysRedactorOnce: the error of a failed part names the
// command and the node once, and says "redactor:" once, whatever the
// part's own error starts with; errors.Is still finds that error.
func TestPartErrSaysRedactorOnce(t *testing.T) {
	m := &merger{name: "DBSIZE"}
	cause := fmt.Errorf("%w: canceled while in flight", ErrUnknownOutcome)
	err := m.partErr(part{addr: "10.0.0.1:7000", result: Result{Err: cause}})
	assert.Equal(t, "redactor: DBSIZE on 10.0.0.1:7000: sent, but no reply came; it may or may not have run: canceled while in flight", err.Error())
	assert.ErrorIs(t, err, ErrUnknownOutcome)
}

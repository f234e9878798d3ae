package actors

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/resp"
)

// accessorCase is one row of an accessor's table: a Result, and the value
// or the error (matched with errors.Is) it must give.
type accessorCase[T any] struct {
	name    string
	result  Result
	want    T
	wantErr error
	// wantText, when set, must appear in the error's text.
	wantText string
}

// failed is a command's own error, which every accessor must return as is.
var failed = &resp.Error{Msg: "WRONGTYPE Operation against a key holding the wrong kind of value"}

func runAccessor[T any](t *testing.T, get func(Result) (T, error), cases []accessorCase[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := get(tc.result)
			if tc.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tc.wantErr)
				assert.Contains(t, err.Error(), tc.wantText)
				var zero T
				assert.Equal(t, zero, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestTypedText(t *testing.T) {
	runAccessor(t, Result.Text, []accessorCase[string]{
		{name: "status", result: Result{Value: "OK"}, want: "OK"},
		{name: "bulk", result: Result{Value: "ada"}, want: "ada"},
		{name: "empty", result: Result{Value: ""}, want: ""},
		{name: "binary", result: Result{Value: "\x00\xff\r\n"}, want: "\x00\xff\r\n"},
		{name: "nil", result: Result{}, wantErr: ErrNil},
		{name: "own error", result: Result{Err: failed}, wantErr: failed},
		{name: "integer", result: Result{Value: int64(42)}, wantErr: ErrUnexpectedType, wantText: "Text of an int64 (integer) reply"},
		{name: "double", result: Result{Value: 1.5}, wantErr: ErrUnexpectedType, wantText: "float64"},
		{name: "array", result: Result{Value: []any{"a"}}, wantErr: ErrUnexpectedType, wantText: "Text of a []any (array) reply"},
		{name: "bytes", result: Result{Value: []byte("a")}, wantErr: ErrUnexpectedType, wantText: "a []uint8 reply"},
	})
}

func TestTypedBytes(t *testing.T) {
	runAccessor(t, Result.Bytes, []accessorCase[[]byte]{
		{name: "bulk", result: Result{Value: "ada"}, want: []byte("ada")},
		{name: "empty", result: Result{Value: ""}, want: []byte{}},
		{name: "nil", result: Result{}, wantErr: ErrNil},
		{name: "own error", result: Result{Err: failed}, wantErr: failed},
		{name: "integer", result: Result{Value: int64(1)}, wantErr: ErrUnexpectedType, wantText: "Bytes of an int64"},
		{name: "map", result: Result{Value: map[string]any{}}, wantErr: ErrUnexpectedType, wantText: "map[string]any"},
	})
	t.Run("a copy", func(t *testing.T) {
		s := strings.Repeat("x", 4)
		b, err := Result{Value: s}.Bytes()
		require.NoError(t, err)
		b[0] = 'y'
		assert.Equal(t, "xxxx", s)
	})
	t.Run("empty is not nil", func(t *testing.T) {
		b, err := Result{Value: ""}.Bytes()
		require.NoError(t, err)
		assert.NotNil(t, b)
	})
}

func TestTypedInt64(t *testing.T) {
	runAccessor(t, Result.Int64, []accessorCase[int64]{
		{name: "integer", result: Result{Value: int64(-7)}, want: -7},
		{name: "counter as text", result: Result{Value: "42"}, want: 42},
		{name: "negative text", result: Result{Value: "-9223372036854775808"}, want: math.MinInt64},
		{name: "big number that fits", result: Result{Value: big.NewInt(1 << 40)}, want: 1 << 40},
		{name: "nil", result: Result{}, wantErr: ErrNil},
		{name: "own error", result: Result{Err: failed}, wantErr: failed},
		{name: "not a number", result: Result{Value: "ada"}, wantErr: strconv.ErrSyntax, wantText: `Int64 of the string "ada"`},
		{name: "not a number is the wrong type", result: Result{Value: "ada"}, wantErr: ErrUnexpectedType},
		{name: "float text", result: Result{Value: "1.5"}, wantErr: ErrUnexpectedType},
		{name: "text out of range", result: Result{Value: "9223372036854775808"}, wantErr: strconv.ErrRange},
		{name: "big number out of range", result: Result{Value: new(big.Int).Lsh(big.NewInt(1), 64)}, wantErr: strconv.ErrRange, wantText: "18446744073709551616"},
		{name: "double", result: Result{Value: 2.0}, wantErr: ErrUnexpectedType, wantText: "Int64 of a float64 (RESP3 double) reply"},
		{name: "bool", result: Result{Value: true}, wantErr: ErrUnexpectedType, wantText: "bool"},
		{name: "array", result: Result{Value: []any{int64(1)}}, wantErr: ErrUnexpectedType, wantText: "Int64 of a []any (array) reply"},
		{name: "long text is cut", result: Result{Value: strings.Repeat("x", 1000)}, wantErr: ErrUnexpectedType, wantText: `xxx..."`},
	})
}

func TestTypedFloat64(t *testing.T) {
	runAccessor(t, Result.Float64, []accessorCase[float64]{
		{name: "double", result: Result{Value: 1.5}, want: 1.5},
		{name: "score as text", result: Result{Value: "1.5"}, want: 1.5},
		{name: "exponent", result: Result{Value: "-3.0000000000000001e-05"}, want: -3e-05},
		{name: "integer text", result: Result{Value: "10"}, want: 10},
		{name: "inf", result: Result{Value: "inf"}, want: math.Inf(1)},
		{name: "-inf", result: Result{Value: "-inf"}, want: math.Inf(-1)},
		{name: "double inf", result: Result{Value: math.Inf(-1)}, want: math.Inf(-1)},
		{name: "integer", result: Result{Value: int64(3)}, want: 3},
		{name: "big number", result: Result{Value: big.NewInt(1 << 53)}, want: 1 << 53},
		{name: "nil", result: Result{}, wantErr: ErrNil},
		{name: "own error", result: Result{Err: failed}, wantErr: failed},
		{name: "not a number", result: Result{Value: "ada"}, wantErr: strconv.ErrSyntax, wantText: `Float64 of the string "ada"`},
		{name: "not a number is the wrong type", result: Result{Value: "ada"}, wantErr: ErrUnexpectedType},
		{name: "out of range", result: Result{Value: "1e400"}, wantErr: strconv.ErrRange},
		{name: "bool", result: Result{Value: false}, wantErr: ErrUnexpectedType, wantText: "Float64 of a bool (RESP3 boolean) reply"},
		{name: "array", result: Result{Value: []any{}}, wantErr: ErrUnexpectedType},
	})
	t.Run("NaN", func(t *testing.T) {
		f, err := Result{Value: math.NaN()}.Float64()
		require.NoError(t, err)
		assert.True(t, math.IsNaN(f))
	})
}

func TestTypedBool(t *testing.T) {
	runAccessor(t, Result.Bool, []accessorCase[bool]{
		{name: "true", result: Result{Value: true}, want: true},
		{name: "false", result: Result{Value: false}, want: false},
		{name: "one", result: Result{Value: int64(1)}, want: true},
		{name: "zero", result: Result{Value: int64(0)}, want: false},
		{name: "nil", result: Result{}, wantErr: ErrNil},
		{name: "own error", result: Result{Err: failed}, wantErr: failed},
		{name: "two", result: Result{Value: int64(2)}, wantErr: ErrUnexpectedType, wantText: "Bool of the integer 2: not 0 or 1"},
		{name: "minus one", result: Result{Value: int64(-1)}, wantErr: ErrUnexpectedType},
		{name: "OK", result: Result{Value: "OK"}, wantErr: ErrUnexpectedType, wantText: "Bool of a string"},
		{name: "text one", result: Result{Value: "1"}, wantErr: ErrUnexpectedType},
		{name: "double", result: Result{Value: 1.0}, wantErr: ErrUnexpectedType},
	})
}

func TestTypedSlice(t *testing.T) {
	runAccessor(t, Result.Slice, []accessorCase[[]any]{
		{name: "array", result: Result{Value: []any{"a", int64(1), nil}}, want: []any{"a", int64(1), nil}},
		{name: "empty", result: Result{Value: []any{}}, want: []any{}},
		{name: "nil", result: Result{}, wantErr: ErrNil},
		{name: "own error", result: Result{Err: failed}, wantErr: failed},
		{name: "string", result: Result{Value: "a"}, wantErr: ErrUnexpectedType, wantText: "Slice of a string"},
		{name: "map", result: Result{Value: map[string]any{"a": "b"}}, wantErr: ErrUnexpectedType, wantText: "Slice of a map[string]any (RESP3 map) reply"},
	})
}

func TestTypedStringMap(t *testing.T) {
	runAccessor(t, Result.StringMap, []accessorCase[map[string]string]{
		{name: "pairs", result: Result{Value: []any{"name", "ada", "born", "1815"}}, want: map[string]string{"name": "ada", "born": "1815"}},
		{name: "empty array", result: Result{Value: []any{}}, want: map[string]string{}},
		{name: "last wins", result: Result{Value: []any{"a", "1", "a", "2"}}, want: map[string]string{"a": "2"}},
		{name: "RESP3 map", result: Result{Value: map[string]any{"name": "ada"}}, want: map[string]string{"name": "ada"}},
		{name: "empty map", result: Result{Value: map[string]any{}}, want: map[string]string{}},
		{name: "nil", result: Result{}, wantErr: ErrNil},
		{name: "own error", result: Result{Err: failed}, wantErr: failed},
		{name: "odd", result: Result{Value: []any{"a", "1", "b"}}, wantErr: ErrUnexpectedType, wantText: "array of 3 elements"},
		{name: "integer value", result: Result{Value: []any{"a", int64(1)}}, wantErr: ErrUnexpectedType, wantText: "element 1 is an int64 (integer), not a string"},
		{name: "nil field", result: Result{Value: []any{nil, "1"}}, wantErr: ErrUnexpectedType, wantText: "element 0 is a nil"},
		{name: "map of integers", result: Result{Value: map[string]any{"a": int64(1)}}, wantErr: ErrUnexpectedType, wantText: `field "a" is an int64`},
		{name: "string", result: Result{Value: "a"}, wantErr: ErrUnexpectedType, wantText: "StringMap of a string"},
	})
}

func TestTypedIsNil(t *testing.T) {
	for _, tc := range []struct {
		name   string
		result Result
		want   bool
	}{
		{name: "nil reply", result: Result{}, want: true},
		{name: "error", result: Result{Err: failed}, want: false},
		{name: "empty string", result: Result{Value: ""}, want: false},
		{name: "empty array", result: Result{Value: []any{}}, want: false},
		{name: "zero", result: Result{Value: int64(0)}, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, tc.result.IsNil()) })
	}
}

// TestTypedOwnErrorFirst checks that a Result with both an Err and a Value
// gives the Err, never a conversion of the Value.
func TestTypedOwnErrorFirst(t *testing.T) {
	r := Result{Value: int64(1), Err: failed}
	_, err := r.Int64()
	assert.Same(t, failed, err)
	_, err = r.Bool()
	assert.True(t, errors.Is(err, failed))
	assert.False(t, r.IsNil())
}

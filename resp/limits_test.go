package resp

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"testing"

	radixresp "github.com/mediocregopher/radix/v4/resp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nested returns depth arrays of one element each around leaf.
func nested(depth int, leaf string) string {
	return strings.Repeat("*1\r\n", depth) + leaf
}

func TestDecoderLimits(t *testing.T) {
	tests := []struct {
		name    string
		limits  Limits
		input   string
		want    any
		wantErr error
	}{
		{name: "flat array at depth 1", limits: Limits{MaxReplyDepth: 1}, input: "*1\r\n:1\r\n", want: []any{int64(1)}},
		{name: "nested array at depth 1", limits: Limits{MaxReplyDepth: 1}, input: "*1\r\n*0\r\n", wantErr: ErrProtocol},
		{name: "nested map at depth 1", limits: Limits{MaxReplyDepth: 1}, input: "*1\r\n%0\r\n", wantErr: ErrProtocol},
		{name: "attribute value at depth 1", limits: Limits{MaxReplyDepth: 1}, input: "|1\r\n+k\r\n*1\r\n:1\r\n:2\r\n", wantErr: ErrProtocol},
		{name: "scalar at depth 1", limits: Limits{MaxReplyDepth: 1}, input: ":7\r\n", want: int64(7)},
		{name: "nested array at depth 2", limits: Limits{MaxReplyDepth: 2}, input: "*1\r\n*0\r\n", want: []any{[]any{}}},
		{name: "default depth", input: nested(DefaultMaxReplyDepth, ":1\r\n"), want: nestedValue(DefaultMaxReplyDepth, int64(1))},
		{name: "beyond the default depth", input: nested(DefaultMaxReplyDepth+1, ":1\r\n"), wantErr: ErrProtocol},
		{name: "depth raised", limits: Limits{MaxReplyDepth: 2000}, input: nested(2000, "_\r\n"), want: nestedValue(2000, nil)},
		{name: "depth above its limit counts as the limit", limits: Limits{MaxReplyDepth: 1 << 30}, input: nested(MaxReplyDepthLimit+1, "_\r\n"), wantErr: ErrProtocol},
		{name: "null array at any depth", limits: Limits{MaxReplyDepth: 1}, input: "*1\r\n*-1\r\n", want: []any{nil}},

		{name: "bulk at MaxBulkLen", limits: Limits{MaxBulkLen: 5}, input: "$5\r\nhello\r\n", want: "hello"},
		{name: "bulk beyond MaxBulkLen", limits: Limits{MaxBulkLen: 5}, input: "$6\r\nhello!\r\n", wantErr: ErrProtocol},
		{name: "verbatim beyond MaxBulkLen", limits: Limits{MaxBulkLen: 5}, input: "=9\r\ntxt:hello\r\n", wantErr: ErrProtocol},
		{name: "blob error beyond MaxBulkLen", limits: Limits{MaxBulkLen: 5}, input: "!6\r\nERR ab\r\n", wantErr: ErrProtocol},
		{name: "simple string at MaxBulkLen", limits: Limits{MaxBulkLen: 5}, input: "+hello\r\n", want: "hello"},
		{name: "simple string beyond MaxBulkLen", limits: Limits{MaxBulkLen: 5}, input: "+hello!\r\n", wantErr: ErrProtocol},
		{name: "error beyond MaxBulkLen", limits: Limits{MaxBulkLen: 5}, input: "-ERR abc\r\n", wantErr: ErrProtocol},
		{name: "long simple string without CRLF", limits: Limits{MaxBulkLen: 50}, input: "+" + strings.Repeat("x", 200), wantErr: ErrProtocol},
		{name: "long simple string in the limit", limits: Limits{MaxBulkLen: 200}, input: "+" + strings.Repeat("x", 200) + "\r\n", want: strings.Repeat("x", 200)},
		{name: "bulk length overflow", input: "$9223372036854775807\r\n", wantErr: ErrProtocol},

		{name: "reply in MaxReplyBytes", limits: Limits{MaxReplyBytes: 16}, input: "*3\r\n:1\r\n:2\r\n:3\r\n", want: []any{int64(1), int64(2), int64(3)}},
		{name: "reply beyond MaxReplyBytes", limits: Limits{MaxReplyBytes: 15}, input: "*3\r\n:1\r\n:2\r\n:3\r\n", wantErr: ErrProtocol},
		{name: "bulk beyond MaxReplyBytes", limits: Limits{MaxReplyBytes: 10}, input: "$5\r\nhello\r\n", wantErr: ErrProtocol},
		{name: "elements that cannot fit", limits: Limits{MaxReplyBytes: 1000}, input: "*1000\r\n", wantErr: ErrProtocol},
		{name: "map that cannot fit", limits: Limits{MaxReplyBytes: 1000}, input: "%200\r\n", wantErr: ErrProtocol},
		{name: "attributes count", limits: Limits{MaxReplyBytes: 15}, input: "|1\r\n+k\r\n+v\r\n:1\r\n", wantErr: ErrProtocol},
		{name: "pushes before a reply count on their own", limits: Limits{MaxReplyBytes: 14}, input: ">1\r\n$4\r\npush\r\n>1\r\n$4\r\npush\r\n:1\r\n", want: int64(1)},

		{name: "attributes in a row", input: strings.Repeat("|1\r\n+k\r\n+v\r\n", maxAttributes) + ":1\r\n", want: int64(1)},
		{name: "too many attributes in a row", input: strings.Repeat("|1\r\n+k\r\n+v\r\n", maxAttributes+1) + ":1\r\n", wantErr: ErrProtocol},
		{name: "attributes of elements count apart", input: "*2\r\n" + strings.Repeat("|0\r\n", maxAttributes) + ":1\r\n" + strings.Repeat("|0\r\n", maxAttributes) + ":2\r\n", want: []any{int64(1), int64(2)}},
		{name: "map with a scalar key", input: "%3\r\n:1\r\n+a\r\n#t\r\n+b\r\n(12\r\n+c\r\n", want: map[string]any{"1": "a", "true": "b", "12": "c"}},
		{name: "map with an array key", input: "%1\r\n*1\r\n:1\r\n+v\r\n", wantErr: ErrProtocol},
		{name: "map with a set key", input: "%1\r\n~0\r\n+v\r\n", wantErr: ErrProtocol},
		{name: "map with a map key", input: "%1\r\n%0\r\n+v\r\n", wantErr: ErrProtocol},
		{name: "attribute with a map key", input: "|1\r\n%0\r\n+v\r\n:1\r\n", wantErr: ErrProtocol},
		{name: "big number too long", input: "(" + strings.Repeat("9", maxNumberLine+1) + "\r\n", wantErr: ErrProtocol},
		{name: "integer line too long", input: ":" + strings.Repeat("1", maxNumberLine+10) + "\r\n", wantErr: ErrProtocol},
	}
	for _, tt := range tests {
		for _, kind := range []struct {
			name string
			new  func(radixresp.BufferedReader) *Decoder
		}{{"decoder", NewDecoder}, {"plain decoder", NewPlainDecoder}} {
			t.Run(tt.name+" ("+kind.name+")", func(t *testing.T) {
				d := kind.new(reader(tt.input + ":9\r\n")).SetLimits(tt.limits)
				got, err := d.Decode()
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				next, err := d.Decode()
				require.NoError(t, err, "the stream must stay in sync")
				assert.Equal(t, int64(9), next)
			})
		}
	}
}

func nestedValue(depth int, leaf any) any {
	v := leaf
	for range depth {
		v = []any{v}
	}
	return v
}

// TestDecodeLargeBulk reads bulk strings larger than the step the reader
// grows them by, whole and in order.
func TestDecodeLargeBulk(t *testing.T) {
	var input strings.Builder
	var want []string
	for i, n := range []int{bulkStep - 2, bulkStep - 1, bulkStep, bulkStep + 1, 3*bulkStep + 7, 8 * bulkStep} {
		v := strings.Repeat(string(rune('a'+i)), n-1) + "z"
		fmt.Fprintf(&input, "$%d\r\n%s\r\n", len(v), v)
		want = append(want, v)
	}
	d := NewDecoder(bufio.NewReaderSize(strings.NewReader(input.String()), 32<<10))
	for _, w := range want {
		v, err := d.Decode()
		require.NoError(t, err)
		s, ok := v.(string)
		require.True(t, ok)
		require.Equal(t, len(w), len(s))
		require.True(t, s == w)
	}
	_, err := d.Decode()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestLimitsValidate(t *testing.T) {
	tests := []struct {
		name    string
		limits  Limits
		wantErr bool
	}{
		{name: "zero", limits: Limits{}},
		{name: "all set", limits: Limits{MaxReplyDepth: MaxReplyDepthLimit, MaxBulkLen: 1 << 40, MaxReplyBytes: 1}},
		{name: "negative depth", limits: Limits{MaxReplyDepth: -1}, wantErr: true},
		{name: "depth above its limit", limits: Limits{MaxReplyDepth: MaxReplyDepthLimit + 1}, wantErr: true},
		{name: "negative bulk", limits: Limits{MaxBulkLen: -1}, wantErr: true},
		{name: "negative reply bytes", limits: Limits{MaxReplyBytes: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantErr, tt.limits.Validate() != nil)
		})
	}
}

package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"runtime"
	"strings"
	"testing"

	radixresp "github.com/mediocregopher/radix/v4/resp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func reader(s string) *bufio.Reader { return bufio.NewReaderSize(strings.NewReader(s), 16) }

func TestReadReply(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  any
	}{
		{name: "simple string", input: "+OK\r\n", want: "OK"},
		{name: "integer", input: ":-42\r\n", want: int64(-42)},
		{name: "min int64", input: ":-9223372036854775808\r\n", want: int64(math.MinInt64)},
		{name: "bulk string", input: "$5\r\nhello\r\n", want: "hello"},
		{name: "binary bulk string", input: "$4\r\na\r\n\x00\r\n", want: "a\r\n\x00"},
		{name: "empty bulk string", input: "$0\r\n\r\n", want: ""},
		{name: "null bulk", input: "$-1\r\n", want: nil},
		{name: "null array", input: "*-1\r\n", want: nil},
		{name: "array", input: "*3\r\n:1\r\n$1\r\na\r\n*0\r\n", want: []any{int64(1), "a", []any{}}},
		{name: "error inside array stays in place", input: "*2\r\n-ERR x\r\n+OK\r\n", want: []any{&Error{Msg: "ERR x"}, "OK"}},
		{name: "resp3 null", input: "_\r\n", want: nil},
		{name: "resp3 booleans", input: "*2\r\n#t\r\n#f\r\n", want: []any{true, false}},
		{name: "resp3 double", input: ",1.5\r\n", want: 1.5},
		{name: "resp3 infinity", input: ",-inf\r\n", want: math.Inf(-1)},
		{name: "resp3 map", input: "%2\r\n+a\r\n:1\r\n:2\r\n+b\r\n", want: map[string]any{"a": int64(1), "2": "b"}},
		{name: "resp3 set", input: "~1\r\n+x\r\n", want: []any{"x"}},
		{name: "resp3 verbatim", input: "=8\r\ntxt:abcd\r\n", want: "abcd"},
		{name: "resp3 attribute dropped", input: "|1\r\n+k\r\n+v\r\n:7\r\n", want: int64(7)},
		{name: "resp3 attribute inside an array", input: "*2\r\n|1\r\n+k\r\n+v\r\n:7\r\n:8\r\n", want: []any{int64(7), int64(8)}},
		{name: "resp3 push skipped", input: ">2\r\n+invalidate\r\n*1\r\n+k\r\n:7\r\n", want: int64(7)},
		{name: "resp3 pushes before a null", input: ">1\r\n+a\r\n>1\r\n+b\r\n_\r\n", want: nil},
		{name: "resp3 push inside an array is no element", input: "*2\r\n:1\r\n>1\r\n+p\r\n:2\r\n", want: []any{int64(1), int64(2)}},
		{name: "resp3 map with an error key", input: "%1\r\n-ERR k\r\n:1\r\n", want: map[string]any{"ERR k": int64(1)}},
		{name: "resp3 map with null and double keys", input: "%2\r\n_\r\n:1\r\n,2.5\r\n:2\r\n", want: map[string]any{"<nil>": int64(1), "2.5": int64(2)}},
		{name: "resp3 big number", input: "(-12\r\n", want: big.NewInt(-12)},
		{name: "resp3 blob error inside an array", input: "*1\r\n!5\r\nERR x\r\n", want: []any{&Error{Msg: "ERR x"}}},
		{name: "resp3 verbatim markdown", input: "=6\r\nmkd:**\r\n", want: "**"},
		{name: "long simple string", input: "+" + strings.Repeat("x", 100) + "\r\n", want: strings.Repeat("x", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := reader(tt.input + ":9\r\n")
			got, err := ReadReply(br)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			next, err := ReadReply(br)
			require.NoError(t, err, "the stream must stay in sync")
			assert.Equal(t, int64(9), next)
		})
		for _, kind := range []struct {
			name string
			new  func(radixresp.BufferedReader) *Decoder
		}{{"decoder", NewDecoder}, {"plain decoder", NewPlainDecoder}} {
			t.Run(tt.name+" ("+kind.name+")", func(t *testing.T) {
				d := kind.new(reader(tt.input + ":9\r\n"))
				var pushes [][]any
				d.OnPush = func(p []any) { pushes = append(pushes, p) }
				got, err := d.Decode()
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				next, err := d.Decode()
				require.NoError(t, err, "the stream must stay in sync")
				assert.Equal(t, int64(9), next)
				assert.Len(t, pushes, strings.Count(tt.input, ">"))
			})
		}
	}
}

// TestDecoderKeepsValues decodes many replies into shared chunks and checks
// that no value is overwritten by a later one.
func TestDecoderKeepsValues(t *testing.T) {
	var input strings.Builder
	var want []any
	for i := range 5000 {
		switch i % 4 {
		case 0:
			v := strings.Repeat(string(rune('a'+i%26)), i%700)
			fmt.Fprintf(&input, "$%d\r\n%s\r\n", len(v), v)
			want = append(want, v)
		case 1:
			fmt.Fprintf(&input, ":%d\r\n", int64(i)*1_000_003-7)
			want = append(want, int64(i)*1_000_003-7)
		case 2:
			fmt.Fprintf(&input, "+s%d\r\n", i)
			want = append(want, fmt.Sprintf("s%d", i))
		default:
			fmt.Fprintf(&input, "*2\r\n$1\r\nx\r\n:%d\r\n", i+1000)
			want = append(want, []any{"x", int64(i + 1000)})
		}
	}
	d := NewDecoder(bufio.NewReader(strings.NewReader(input.String())))
	var got []any
	for range want {
		v, err := d.Decode()
		require.NoError(t, err)
		got = append(got, v)
	}
	assert.Equal(t, want, got)
}

func TestDecoderAllocations(t *testing.T) {
	var input strings.Builder
	for i := range 100 {
		fmt.Fprintf(&input, "$6\r\nvalue%d\r\n:%d\r\n+OK\r\n", i%10, 1000+i)
	}
	data := input.String()
	allocs := testing.AllocsPerRun(50, func() {
		d := NewDecoder(bufio.NewReader(strings.NewReader(data)))
		for range 300 {
			if _, err := d.Decode(); err != nil {
				t.Fatal(err)
			}
		}
	})
	// The reader and the decoder, one allocation per string (its bytes
	// with its box) and one per integer Go does not box for free (256 and
	// up); none for +OK.
	assert.LessOrEqual(t, allocs, 100+100+3.0)
}

// TestDecoderKeptValuesPinOnlyThemselves decodes 100,000 bulk strings of 16
// to 64 bytes, keeps one in a hundred, and checks that, once collected, the
// heap holds little more than the bytes kept: no value pins memory shared
// with the values dropped. Not parallel: it measures the process's heap.
func TestDecoderKeptValuesPinOnlyThemselves(t *testing.T) {
	const n, every = 100_000, 100
	var input strings.Builder
	for i := range n {
		v := strings.Repeat("v", 16+i%49)
		fmt.Fprintf(&input, "$%d\r\n%s\r\n", len(v), v)
	}
	data := input.String()
	kept := make([]string, 0, n/every)
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	d := NewDecoder(bufio.NewReader(strings.NewReader(data)))
	for i := range n {
		v, err := d.Decode()
		require.NoError(t, err)
		if i%every == 0 {
			kept = append(kept, v.(string))
		}
	}
	d = nil
	after := heap()
	keptBytes := 0
	for _, v := range kept {
		keptBytes += len(v)
	}
	retained := float64(after) - float64(before)
	t.Logf("%d values kept, %d bytes: %.0f bytes retained, %.2f per byte kept",
		len(kept), keptBytes, retained, retained/float64(keptBytes))
	// Each value pins its 16-byte header and its size class's rounding:
	// about 1.6 per byte here; chunks shared with dropped values made it 100.
	assert.Less(t, retained/float64(keptBytes), 3.0)
	runtime.KeepAlive(kept)
	runtime.KeepAlive(data)
}

// TestDecoderPushes hands each skipped push to OnPush, whole, and never to
// the caller as a reply.
func TestDecoderPushes(t *testing.T) {
	d := NewDecoder(reader(">2\r\n$10\r\ninvalidate\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n" +
		"$3\r\nval\r\n" + ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n:5\r\n" + "-ERR x\r\n" + ">1\r\n_\r\n"))
	var pushes [][]any
	d.OnPush = func(p []any) { pushes = append(pushes, p) }
	v, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, "val", v)
	_, err = d.Decode()
	assert.EqualError(t, err, "ERR x", "a push before an error reply leaves the error to its command")
	assert.Equal(t, [][]any{{"invalidate", []any{"a", "b"}}, {"message", "ch", int64(5)}}, pushes)

	skipped, err := d.SkipPush()
	require.NoError(t, err)
	assert.True(t, skipped)
	assert.Len(t, pushes, 3)
	_, err = d.SkipPush()
	assert.ErrorIs(t, err, io.EOF)
}

// TestSkipPushLeavesReplies reads nothing of a frame that is not a push.
func TestSkipPushLeavesReplies(t *testing.T) {
	d := NewDecoder(reader(":1\r\n"))
	skipped, err := d.SkipPush()
	require.NoError(t, err)
	assert.False(t, skipped)
	v, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, int64(1), v)
}

func TestReadReplyBigNumber(t *testing.T) {
	got, err := ReadReply(reader("(3492890328409238509324850943850943825024385\r\n"))
	require.NoError(t, err)
	want, _ := new(big.Int).SetString("3492890328409238509324850943850943825024385", 10)
	assert.Equal(t, want, got)
}

func TestReadReplyErrors(t *testing.T) {
	t.Run("error reply keeps the stream usable", func(t *testing.T) {
		br := reader("-WRONGTYPE Operation against a key\r\n!8\r\nSYNTAX x\r\n+OK\r\n")
		_, err := ReadReply(br)
		var replyErr *Error
		require.ErrorAs(t, err, &replyErr)
		assert.Equal(t, "WRONGTYPE", replyErr.Prefix())
		assert.Equal(t, "WRONGTYPE Operation against a key", err.Error())
		_, err = ReadReply(br)
		require.ErrorAs(t, err, &replyErr)
		assert.Equal(t, "SYNTAX x", replyErr.Msg)
		v, err := ReadReply(br)
		require.NoError(t, err)
		assert.Equal(t, "OK", v)
	})
	broken := []struct {
		name, input string
		wantErr     error
	}{
		{name: "unknown type", input: "?x\r\n", wantErr: ErrProtocol},
		{name: "bad integer", input: ":12a\r\n", wantErr: ErrProtocol},
		{name: "integer overflow", input: ":99999999999999999999\r\n", wantErr: ErrProtocol},
		{name: "negative length", input: "$-2\r\n", wantErr: ErrProtocol},
		{name: "huge bulk", input: "$999999999999\r\n", wantErr: ErrProtocol},
		{name: "bulk without CRLF", input: "$1\r\nab\r\n", wantErr: ErrProtocol},
		{name: "missing CR", input: "+OK\n", wantErr: ErrProtocol},
		{name: "truncated bulk", input: "$10\r\nabc", wantErr: io.ErrUnexpectedEOF},
		{name: "truncated array", input: "*2\r\n:1\r\n", wantErr: io.ErrUnexpectedEOF},
		{name: "empty input", input: "", wantErr: io.ErrUnexpectedEOF},
	}
	for _, tt := range broken {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadReply(reader(tt.input))
			assert.ErrorIs(t, err, tt.wantErr)
			_, isReply := AsError(err)
			assert.False(t, isReply, "a broken stream is not a server error reply")
		})
	}
}

func TestErrorRedirects(t *testing.T) {
	slot, addr, ok := (&Error{Msg: "MOVED 3999 127.0.0.1:6381"}).IsMoved()
	assert.True(t, ok)
	assert.Equal(t, 3999, slot)
	assert.Equal(t, "127.0.0.1:6381", addr)

	slot, addr, ok = (&Error{Msg: "ASK 12 [::1]:7000"}).IsAsk()
	assert.True(t, ok)
	assert.Equal(t, 12, slot)
	assert.Equal(t, "[::1]:7000", addr)

	slot, addr, ok = (&Error{Msg: "MOVED 16383 host:1 more"}).IsMoved()
	assert.True(t, ok)
	assert.Equal(t, 16383, slot)
	assert.Equal(t, "host:1", addr, "words after the address are no part of it")

	// Redis writes an IPv6 host bare; the slot map spells it in brackets.
	for msg, want := range map[string]string{
		"MOVED 1 2001:db8::1:6379": "[2001:db8::1]:6379",
		"MOVED 1 ::1:7000":         "[::1]:7000",
		"MOVED 1 [::1]:7000":       "[::1]:7000",
		// No host (cluster-preferred-endpoint-type unknown-endpoint):
		// the node that replied, on another port.
		"MOVED 1 :6380": ":6380",
	} {
		_, addr, ok := (&Error{Msg: msg}).IsMoved()
		assert.True(t, ok, msg)
		assert.Equal(t, want, addr, msg)
	}
	assert.Equal(t, "10.0.0.7:6380", SameHost(":6380", "10.0.0.7:6379"))
	assert.Equal(t, "[::1]:6380", SameHost(":6380", "[::1]:6379"))
	assert.Equal(t, "h:1", SameHost("h:1", "10.0.0.7:6379"))

	for _, msg := range []string{"MOVED", "MOVED x 1:2", "MOVED 1", "ASK 1 a", "ERR MOVED 1 a:1", "MOVED 16384 a:1", "MOVED -1 a:1", "MOVED 1 ",
		"MOVED 1 host", "MOVED 1 host:", "MOVED 1 host:0", "MOVED 1 host:65536", "MOVED 1 host:+1", "MOVED 1 host:x", "MOVED 1 a]b:1", "MOVED 1 [[::1]]:1"} {
		_, _, moved := (&Error{Msg: msg}).IsMoved()
		assert.False(t, moved, msg)
	}
	assert.True(t, (&Error{Msg: "TRYAGAIN Multiple keys request during rehashing of slot"}).IsTryAgain())
	assert.True(t, (&Error{Msg: "CLUSTERDOWN The cluster is down"}).IsClusterDown())
	assert.True(t, (&Error{Msg: "LOADING Redis is loading the dataset in memory"}).IsLoading())
	assert.True(t, (&Error{Msg: "MASTERDOWN Link with MASTER is down"}).IsMasterDown())
	assert.True(t, (&Error{Msg: "NOSCRIPT No matching script. Please use EVAL."}).IsNoScript())
	assert.False(t, (&Error{Msg: "ERR NOSCRIPT"}).IsNoScript())
	assert.Equal(t, "ERR", (&Error{Msg: "ERR"}).Prefix())

	wrapped := errors.Join(errors.New("context"), &Error{Msg: "ERR x"})
	e, ok := AsError(wrapped)
	require.True(t, ok)
	assert.Equal(t, "ERR x", e.Msg)
}

func TestAppendCommand(t *testing.T) {
	got := AppendCommand([]byte("x"), []string{"SET", "k", "", "a\r\nb"})
	assert.Equal(t, "x*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$4\r\na\r\nb\r\n", string(got))
}

func TestAppendCommandRoundTrip(t *testing.T) {
	args := []string{"GET", "\x00\xff{}", strings.Repeat("v", 300)}
	v, err := ReadReply(reader(string(AppendCommand(nil, args))))
	require.NoError(t, err)
	assert.Equal(t, []any{args[0], args[1], args[2]}, v)
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "*2\r\n$1\r\na\r\n:1\r\n", "%1\r\n+a\r\n_\r\n", "$-1\r\n", "|1\r\n+a\r\n+b\r\n#t\r\n", ",1e3\r\n", "(12\r\n", "=5\r\ntxt:a\r\n", ">2\r\n+a\r\n:1\r\n:2\r\n", "~1\r\n!1\r\nx\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(strings.NewReader(string(data)), 16)
		d := NewDecoder(bufio.NewReaderSize(strings.NewReader(string(data)), 16))
		pd := NewPlainDecoder(bufio.NewReaderSize(strings.NewReader(string(data)), 16))
		for range 8 {
			v, err := ReadReply(br)
			dv, derr := d.Decode()
			pv, perr := pd.Decode()
			if fmt.Sprint(v, err) != fmt.Sprint(dv, derr) || fmt.Sprint(v, err) != fmt.Sprint(pv, perr) {
				t.Fatalf("ReadReply gave %v, %v; Decoder gave %v, %v; plain Decoder %v, %v", v, err, dv, derr, pv, perr)
			}
			if err != nil {
				if _, ok := AsError(err); !ok {
					return
				}
			}
		}
	})
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		msg                   string
		redirect, unavailable bool
	}{
		{"MOVED 3999 127.0.0.1:6381", true, false},
		{"ASK 3999 127.0.0.1:6381", true, false},
		{"TRYAGAIN Multiple keys request during rehashing of slot", false, true},
		{"LOADING Redis is loading the dataset in memory", false, true},
		{"CLUSTERDOWN The cluster is down", false, true},
		{"MASTERDOWN Link with MASTER is down", false, true},
		{"WRONGTYPE Operation against a key holding the wrong kind of value", false, false},
		{"MOVED nonsense", false, false},
	}
	for _, tt := range tests {
		e := &Error{Msg: tt.msg}
		if e.IsRedirect() != tt.redirect || e.IsUnavailable() != tt.unavailable {
			t.Errorf("%q: redirect %v, unavailable %v; want %v, %v", tt.msg, e.IsRedirect(), e.IsUnavailable(), tt.redirect, tt.unavailable)
		}
	}
}

// TestDecoderEmptyStrings decodes empty bulk and simple strings without
// allocating for them.
func TestDecoderEmptyStrings(t *testing.T) {
	input := strings.Repeat("$0\r\n\r\n+\r\n", 10)
	d := NewDecoder(bufio.NewReader(strings.NewReader(input)))
	for range 20 {
		v, err := d.Decode()
		require.NoError(t, err)
		assert.Equal(t, "", v)
	}
	allocs := testing.AllocsPerRun(20, func() {
		d := NewDecoder(bufio.NewReader(strings.NewReader(input)))
		for range 20 {
			if _, err := d.Decode(); err != nil {
				t.Fatal(err)
			}
		}
	})
	// The strings.Reader, the bufio.Reader and its buffer, the Decoder.
	assert.LessOrEqual(t, allocs, 4.0, "20 empty strings allocate nothing")
}

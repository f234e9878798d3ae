package resp

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileEnv names the hostile stream a child process of TestHostileStreams
// decodes.
const hostileEnv = "RESP_HOSTILE_STREAM"

// stream is a reply stream made of head, body repeated n times, then tail,
// generated as it is read so that a stream of gigabytes costs no memory.
type stream struct {
	head, body, tail string
	n                int
}

func (s stream) reader() io.Reader {
	parts := []io.Reader{strings.NewReader(s.head), &repeated{s: s.body, n: s.n}, strings.NewReader(s.tail)}
	return io.MultiReader(parts...)
}

// repeated reads s n times.
type repeated struct {
	s   string
	n   int
	off int
}

func (r *repeated) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 && r.n > 0 {
		c := copy(p, r.s[r.off:])
		p, total, r.off = p[c:], total+c, r.off+c
		if r.off == len(r.s) {
			r.off, r.n = 0, r.n-1
		}
	}
	if total == 0 && r.n == 0 {
		return 0, io.EOF
	}
	return total, nil
}

// hostileStreams are streams a broken or hostile server could send. Each
// must be refused with ErrProtocol (or decoded, for the legal ones) without
// crashing the process or allocating much more than it sent.
var hostileStreams = map[string]struct {
	s stream
	// want is the first reply, or nil when wantErr is set.
	want    any
	wantErr error
	// maxAlloc bounds the bytes the decoder may allocate for it.
	maxAlloc uint64
}{
	// 3M attributes in a row (36 MB): the reader recursed once per
	// attribute, and overflowed the stack of the goroutine, which ends
	// the process.
	"attribute chain": {s: stream{body: "|1\r\n+k\r\n+v\r\n", n: 3_000_000, tail: ":1\r\n"}, wantErr: ErrProtocol, maxAlloc: 1 << 20},
	// Pushes in a row are legal (a flood of invalidations): skipped,
	// whatever their number, without recursion.
	"push chain": {s: stream{body: ">1\r\n+p\r\n", n: 3_000_000, tail: ":1\r\n"}, want: int64(1), maxAlloc: 1 << 30},
	// Attributes as the keys of attributes, nested.
	"attribute nest": {s: stream{body: "|1\r\n", n: 3_000_000}, wantErr: ErrProtocol, maxAlloc: 1 << 20},
	"array nest":     {s: stream{body: "*1\r\n", n: 10_000_000}, wantErr: ErrProtocol, maxAlloc: 1 << 20},
	"map nest":       {s: stream{body: "%1\r\n+k\r\n", n: 10_000_000}, wantErr: ErrProtocol, maxAlloc: 1 << 20},
	"push nest":      {s: stream{body: ">1\r\n", n: 10_000_000}, wantErr: ErrProtocol, maxAlloc: 1 << 20},
	// Aggregates that declare two billion elements, nested: nothing may
	// be reserved for elements that never come.
	"wide nest": {s: stream{body: "*2000000000\r\n", n: 400, tail: "%1000000000\r\n"}, wantErr: io.ErrUnexpectedEOF, maxAlloc: 16 << 20},
	// A bulk string just under the limit, then nothing: it must not be
	// allocated before its bytes come (only its first 8 MiB step is).
	"huge bulk": {s: stream{head: fmt.Sprintf("$%d\r\n", DefaultMaxBulkLen), body: "x", n: 1000}, wantErr: io.ErrUnexpectedEOF, maxAlloc: 9 << 20},
	// Maps as the keys of maps, nested: each key's text holds the text of
	// the key inside it, so the texts grew with the square of the depth
	// (4 KB sent, 3 MB of keys).
	"map key nest": {s: stream{body: "%1\r\n", n: 500, tail: "_\r\n" + strings.Repeat(":1\r\n", 500)}, wantErr: ErrProtocol, maxAlloc: 1 << 20},
	// A line that never ends.
	"endless number line": {s: stream{head: ":", body: "1234567890", n: 100_000_000}, wantErr: ErrProtocol, maxAlloc: 1 << 20},
	"endless length line": {s: stream{head: "*", body: "0", n: 100_000_000}, wantErr: ErrProtocol, maxAlloc: 1 << 20},
	"endless big number":  {s: stream{head: "(", body: "9", n: 100_000_000}, wantErr: ErrProtocol, maxAlloc: 1 << 20},
	"endless double":      {s: stream{head: ",", body: "9", n: 100_000_000}, wantErr: ErrProtocol, maxAlloc: 1 << 20},
}

// TestHostileStreams decodes each hostile stream in a child process (this
// test binary again), so that a crash, which no recover catches, fails the
// test instead of ending it.
func TestHostileStreams(t *testing.T) {
	if name := os.Getenv(hostileEnv); name != "" {
		decodeHostile(t, name)
		return
	}
	if testing.Short() {
		t.Skip("runs child processes")
	}
	for name := range hostileStreams {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHostileStreams$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), hostileEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the child decoding %q failed: %v\n%s", name, err, tail(out, 3000))
			}
			assert.Contains(t, string(out), "hostile stream decoded", "%s", tail(out, 3000))
		})
	}
}

// decodeHostile is the child's part: decode one stream with both kinds of
// decoder and ReadReply, and check what came out and what it cost.
func decodeHostile(t *testing.T, name string) {
	tt, ok := hostileStreams[name]
	require.True(t, ok, name)
	for _, kind := range []struct {
		name   string
		decode func(br *bufio.Reader) (any, error)
	}{
		{"Decoder", func(br *bufio.Reader) (any, error) { return NewDecoder(br).Decode() }},
		{"plain Decoder", func(br *bufio.Reader) (any, error) { return NewPlainDecoder(br).Decode() }},
		{"ReadReply", func(br *bufio.Reader) (any, error) { return ReadReply(br) }},
	} {
		br := bufio.NewReaderSize(tt.s.reader(), 32<<10)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		v, err := kind.decode(br)
		runtime.ReadMemStats(&after)
		if tt.wantErr != nil {
			require.ErrorIs(t, err, tt.wantErr, kind.name)
			_, isReply := AsError(err)
			assert.False(t, isReply, "%s: a broken stream is no error reply", kind.name)
		} else {
			require.NoError(t, err, kind.name)
			assert.Equal(t, tt.want, v, kind.name)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		assert.LessOrEqual(t, alloc, tt.maxAlloc, "%s: bytes allocated", kind.name)
		t.Logf("%s: %v, %v; %d bytes allocated", kind.name, v, err, alloc)
	}
	if !t.Failed() {
		fmt.Println("hostile stream decoded")
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

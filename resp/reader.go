package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"unsafe"

	radixresp "github.com/mediocregopher/radix/v4/resp"
)

// ErrProtocol is returned for input that is not valid RESP. The stream it came
// from is out of sync and must not be used again.
var ErrProtocol = errors.New("resp: protocol error")

// maxBulkLen is the largest bulk string the reader accepts (Redis's own
// proto-max-bulk-len default).
const maxBulkLen = 512 << 20

// maxPrealloc caps the capacity reserved up front for an aggregate, so a bad
// length cannot make the reader allocate gigabytes before reading anything.
const maxPrealloc = 1 << 16

// maxDepth bounds how deeply aggregates may nest.
const maxDepth = 512

// ReadReply reads one complete RESP2 or RESP3 reply from br and returns it
// decoded (see the package doc for the types).
//
// A server error reply is returned as a *Error with a nil value: the stream
// stays in sync and the next reply can be read. An error reply nested inside
// an aggregate (EXEC's results, for example) is kept in place as a *Error
// value. Any other error (I/O, ErrProtocol) means the stream is broken.
// RESP3 attributes are read and dropped, and so are RESP3 push frames,
// which are no replies: ReadReply returns the reply that follows them.
func ReadReply(br radixresp.BufferedReader) (any, error) {
	d := Decoder{br: br}
	return d.reply(0)
}

// Decoder reads the replies of one stream, one after another, like
// ReadReply; it can hand the push frames it skips to OnPush. A Decoder is
// not safe for concurrent use.
type Decoder struct {
	// OnPush, when set, is called with each RESP3 push frame ('>') the
	// decoder reads and skips, on the goroutine that decodes: out-of-band
	// data such as a client-side caching invalidation, never a command's
	// reply. The push's values are the caller's to keep.
	OnPush func(push []any)

	br     radixresp.BufferedReader
	a      *arena // nil: each value is allocated on its own
	chunks arena
}

// NewDecoder returns a Decoder reading from br that decodes strings and
// integers into memory it allocates in chunks: a batch of replies costs a
// few allocations instead of two per reply. A chunk stays alive while any
// value decoded into it is referenced. For a stream of many replies.
func NewDecoder(br radixresp.BufferedReader) *Decoder {
	d := &Decoder{br: br}
	d.a = &d.chunks
	return d
}

// NewPlainDecoder returns a Decoder reading from br that allocates each
// value on its own, as ReadReply does, and keeps no memory between
// replies: for a stream of few replies.
func NewPlainDecoder(br radixresp.BufferedReader) *Decoder { return &Decoder{br: br} }

// Decode reads one reply; see ReadReply.
func (d *Decoder) Decode() (any, error) { return d.reply(0) }

// SkipPush reads the next frame when it is a push, handing it to OnPush,
// and reports whether it was one; it reads nothing of any other frame. It
// waits for the frame's first byte: for a connection that watches its
// stream while no reply is due.
func (d *Decoder) SkipPush() (bool, error) {
	b, err := d.br.Peek(1)
	if err != nil {
		return false, fmt.Errorf("resp: reading reply: %w", err)
	}
	if b[0] != '>' {
		return false, nil
	}
	line, err := readLine(d.br)
	if err != nil {
		return false, err
	}
	return true, d.push(line[1:], 0)
}

func (d *Decoder) reply(depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: aggregates nested deeper than %d", ErrProtocol, maxDepth)
	}
	line, err := readLine(d.br)
	if err != nil {
		return nil, err
	}
	body := line[1:]
	switch line[0] {
	case '+':
		switch string(body) {
		case "OK":
			return "OK", nil
		case "PONG":
			return "PONG", nil
		case "QUEUED":
			return "QUEUED", nil
		}
		return d.a.str(body), nil
	case '-':
		return nil, &Error{Msg: string(body)}
	case ':':
		n, err := parseInt(body)
		if err != nil {
			return nil, err
		}
		return d.a.int(n), nil
	case '$', '=':
		return d.bulk(line[0], body)
	case '!':
		msg, err := d.bulk('!', body)
		if err != nil || msg == nil {
			return nil, err
		}
		return nil, &Error{Msg: msg.(string)}
	case '*', '~':
		return d.array(body, depth)
	case '%':
		return d.mapReply(body, depth)
	case '|':
		// An attribute: data about the value that follows, which is the
		// reply.
		if _, err := d.plain().mapReply(body, depth); err != nil {
			return nil, err
		}
		return d.reply(depth)
	case '>':
		// A push: out-of-band data, not part of the reply that follows.
		if err := d.push(body, depth); err != nil {
			return nil, err
		}
		return d.reply(depth)
	case '_':
		return nil, nil
	case '#':
		switch string(body) {
		case "t":
			return true, nil
		case "f":
			return false, nil
		}
		return nil, fmt.Errorf("%w: bad boolean %q", ErrProtocol, body)
	case ',':
		return parseDouble(body)
	case '(':
		n, ok := new(big.Int).SetString(string(body), 10)
		if !ok {
			return nil, fmt.Errorf("%w: bad big number %q", ErrProtocol, body)
		}
		return n, nil
	}
	return nil, fmt.Errorf("%w: unknown reply type %q", ErrProtocol, line[0])
}

// plain returns a decoder of the same stream that allocates each value on
// its own, for values handed on or dropped (pushes, attributes), which
// should not keep chunks alive or use them up.
func (d *Decoder) plain() *Decoder {
	if d.a == nil {
		return d
	}
	return &Decoder{br: d.br, OnPush: d.OnPush}
}

// push reads the elements of a push frame whose header body is body and
// hands them to OnPush.
func (d *Decoder) push(body []byte, depth int) error {
	v, err := d.plain().array(body, depth)
	if err != nil {
		return err
	}
	p, _ := v.([]any)
	if d.OnPush != nil {
		d.OnPush(p)
	}
	return nil
}

// readLine returns the next line without its CRLF. The slice is only valid
// until the next read.
func readLine(br radixresp.BufferedReader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A simple string longer than the read buffer: gather it.
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("resp: reading reply: %w", err)
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("%w: malformed line %q", ErrProtocol, line)
	}
	return line[:len(line)-2], nil
}

func (d *Decoder) bulk(kind byte, body []byte) (any, error) {
	a := d.a
	n, err := parseLen(body, maxBulkLen)
	if err != nil || n < 0 {
		return nil, err
	}
	var buf []byte
	if a != nil && n+2 <= maxArenaString && kind == '$' {
		if len(a.bytes) < n+2 {
			a.bytes = make([]byte, byteChunk)
		}
		buf = a.bytes[: n+2 : n+2]
		a.bytes = a.bytes[n+2:]
	} else {
		buf = make([]byte, n+2)
	}
	if _, err := io.ReadFull(d.br, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("resp: reading bulk string: %w", err)
	}
	if buf[n] != '\r' || buf[n+1] != '\n' {
		return nil, fmt.Errorf("%w: bulk string of %d bytes not followed by CRLF", ErrProtocol, n)
	}
	buf = buf[:n]
	if kind == '=' {
		// Verbatim string: "txt:" or "mkd:" format prefix, then the text.
		if n < 4 || buf[3] != ':' {
			return nil, fmt.Errorf("%w: verbatim string without format", ErrProtocol)
		}
		buf = buf[4:]
	}
	if len(buf) == 0 {
		return "", nil
	}
	// buf is this string's alone and never written again: share it.
	return a.boxString(unsafe.String(&buf[0], len(buf))), nil
}

func (d *Decoder) array(body []byte, depth int) (any, error) {
	n, err := parseLen(body, math.MaxInt32)
	if err != nil || n < 0 {
		return nil, err
	}
	arr := make([]any, 0, min(n, maxPrealloc))
	for range n {
		v, err := d.element(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
	return arr, nil
}

// element reads a reply inside an aggregate, where an error reply is a
// value (EXEC's results, for example), not a failure.
func (d *Decoder) element(depth int) (any, error) {
	v, err := d.reply(depth)
	if replyErr, ok := err.(*Error); ok {
		return replyErr, nil
	}
	return v, err
}

// mapReply reads a map. A key that is not a string is the text fmt.Sprint
// gives for its value ("1" for the integer 1); of two equal keys, the
// later wins.
func (d *Decoder) mapReply(body []byte, depth int) (any, error) {
	n, err := parseLen(body, math.MaxInt32)
	if err != nil || n < 0 {
		return nil, err
	}
	m := make(map[string]any, min(n, maxPrealloc))
	for range n {
		k, err := d.element(depth + 1)
		if err != nil {
			return nil, err
		}
		v, err := d.element(depth + 1)
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			key = fmt.Sprint(k)
		}
		m[key] = v
	}
	return m, nil
}

// parseLen parses an aggregate or bulk length: -1 (null) up to limit.
func parseLen(b []byte, limit int64) (int, error) {
	n, err := parseInt(b)
	if err != nil {
		return 0, err
	}
	if n < -1 || n > limit {
		return 0, fmt.Errorf("%w: length %d out of range", ErrProtocol, n)
	}
	return int(n), nil
}

// parseInt parses a signed decimal without allocating.
func parseInt(b []byte) (int64, error) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, fmt.Errorf("%w: bad integer %q", ErrProtocol, b)
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: bad integer %q", ErrProtocol, b)
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, fmt.Errorf("%w: integer overflow %q", ErrProtocol, b)
		}
		return -int64(n), nil
	}
	if n > math.MaxInt64 {
		return 0, fmt.Errorf("%w: integer overflow %q", ErrProtocol, b)
	}
	return int64(n), nil
}

func parseDouble(b []byte) (float64, error) {
	switch string(b) {
	case "inf":
		return math.Inf(1), nil
	case "-inf":
		return math.Inf(-1), nil
	case "nan", "-nan":
		return math.NaN(), nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad double %q", ErrProtocol, b)
	}
	return f, nil
}

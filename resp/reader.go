package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"

	radixresp "github.com/mediocregopher/radix/v4/resp"
)

// ErrProtocol is returned for input that is not valid RESP. The stream it came
// from is out of sync and must not be used again.
var ErrProtocol = errors.New("resp: protocol error")

// ReadReply reads one complete RESP2 or RESP3 reply from br and returns it
// decoded (see the package doc for the types).
//
// A server error reply is returned as a *Error with a nil value: the stream
// stays in sync and the next reply can be read. An error reply nested inside
// an aggregate (EXEC's results, for example) is kept in place as a *Error
// value. Any other error (I/O, ErrProtocol) means the stream is broken.
// RESP3 attributes are read and dropped, and so are RESP3 push frames,
// which are no replies: ReadReply returns the reply that follows them.
// The default Limits apply.
func ReadReply(br radixresp.BufferedReader) (any, error) {
	d := Decoder{br: br, lim: defaultLimits}
	return d.Decode()
}

// defaultLimits are the limits of a Decoder that was given none.
var defaultLimits = Limits{}.withDefaults()

// Decoder reads the replies of one stream, one after another, like
// ReadReply; it can hand the push frames it skips to OnPush. A Decoder is
// not safe for concurrent use.
type Decoder struct {
	// OnPush, when set, is called with each RESP3 push frame ('>') the
	// decoder reads and skips, on the goroutine that decodes: out-of-band
	// data such as a client-side caching invalidation, never a command's
	// reply. The push's values are the caller's to keep.
	OnPush func(push []any)

	br  radixresp.BufferedReader
	lim Limits // with defaults
	// n counts the bytes of the frame being read, for MaxReplyBytes.
	n int64
}

// NewDecoder returns a Decoder reading from br. Each string it decodes is
// one allocation, its bytes and its interface box together, shared with no
// other value: a reply a caller keeps pins only itself. It keeps no memory
// between replies.
func NewDecoder(br radixresp.BufferedReader) *Decoder {
	return &Decoder{br: br, lim: defaultLimits}
}

// NewPlainDecoder returns a Decoder reading from br, the same as
// NewDecoder's (it once differed by not allocating values in chunks, which
// no Decoder does any more).
func NewPlainDecoder(br radixresp.BufferedReader) *Decoder {
	return NewDecoder(br)
}

// SetLimits makes l the decoder's limits, its zero fields the defaults; a
// setting Limits.Validate refuses is brought back in range. It returns d.
func (d *Decoder) SetLimits(l Limits) *Decoder {
	d.lim = l.withDefaults()
	return d
}

// Decode reads one reply; see ReadReply.
func (d *Decoder) Decode() (any, error) {
	d.n = 0
	return d.reply(0)
}

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
	d.n = 0
	line, err := d.readLine()
	if err != nil {
		return false, err
	}
	return true, d.push(line[1:], 0)
}

// reply reads one reply at depth (the aggregates around it). Attributes
// and push frames before it are read in a loop, not by recursion: a server
// may send any number of pushes, and up to maxAttributes attributes, before
// a value.
func (d *Decoder) reply(depth int) (any, error) {
	attrs := 0
	for {
		line, err := d.readLine()
		if err != nil {
			return nil, err
		}
		body := line[1:]
		switch line[0] {
		case '+':
			if int64(len(body)) > d.lim.MaxBulkLen {
				return nil, d.tooLong(int64(len(body)))
			}
			switch string(body) {
			case "OK":
				return "OK", nil
			case "PONG":
				return "PONG", nil
			case "QUEUED":
				return "QUEUED", nil
			}
			return boxedCopy(body), nil
		case '-':
			if int64(len(body)) > d.lim.MaxBulkLen {
				return nil, d.tooLong(int64(len(body)))
			}
			return nil, &Error{Msg: string(body)}
		case ':':
			n, err := parseInt(body)
			if err != nil {
				return nil, err
			}
			return n, nil
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
			// An attribute: data about the value that follows, which
			// is the reply. It is read and dropped.
			if attrs++; attrs > maxAttributes {
				return nil, fmt.Errorf("%w: more than %d attributes before a value", ErrProtocol, maxAttributes)
			}
			if _, err := d.mapReply(body, depth); err != nil {
				return nil, err
			}
		case '>':
			// A push: out-of-band data, not part of the reply that
			// follows.
			if err := d.push(body, depth); err != nil {
				return nil, err
			}
			if depth == 0 {
				d.n = 0 // the push was a frame of its own
			}
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
			if len(body) > maxNumberLine {
				return nil, fmt.Errorf("%w: big number of %d digits", ErrProtocol, len(body))
			}
			n, ok := new(big.Int).SetString(string(body), 10)
			if !ok {
				return nil, fmt.Errorf("%w: bad big number %q", ErrProtocol, body)
			}
			return n, nil
		default:
			return nil, fmt.Errorf("%w: unknown reply type %q", ErrProtocol, line[0])
		}
	}
}

// push reads the elements of a push frame whose header body is body and
// hands them to OnPush, which may keep them.
func (d *Decoder) push(body []byte, depth int) error {
	v, err := d.array(body, depth)
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
func (d *Decoder) readLine() ([]byte, error) {
	line, err := d.br.ReadSlice('\n')
	if err != nil {
		if line, err = d.longLine(line, err); err != nil {
			return nil, err
		}
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("%w: malformed line %q", ErrProtocol, line)
	}
	if err := d.count(len(line)); err != nil {
		return nil, err
	}
	return line[:len(line)-2], nil
}

// longLine gathers a line longer than the read buffer, of which ReadSlice
// gave line and err, up to its bound: MaxBulkLen for a simple string or an
// error, maxNumberLine for the others.
func (d *Decoder) longLine(line []byte, err error) ([]byte, error) {
	if errors.Is(err, bufio.ErrBufferFull) {
		limit := int64(maxNumberLine)
		if len(line) > 0 && (line[0] == '+' || line[0] == '-') {
			limit = d.lim.MaxBulkLen
		}
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if int64(len(long)) > limit+3 {
				return nil, fmt.Errorf("%w: %q line longer than %d bytes", ErrProtocol, long[:1], limit)
			}
			line, err = d.br.ReadSlice('\n')
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
	return line, nil
}

// count adds n bytes read to the frame's and checks MaxReplyBytes. It is
// small enough to be inlined.
func (d *Decoder) count(n int) error {
	d.n += int64(n)
	if d.lim.MaxReplyBytes > 0 && d.n > d.lim.MaxReplyBytes {
		return d.overReplyBytes()
	}
	return nil
}

// overReplyBytes is the error of a reply beyond MaxReplyBytes.
func (d *Decoder) overReplyBytes() error {
	return fmt.Errorf("%w: reply longer than %d bytes (MaxReplyBytes)", ErrProtocol, d.lim.MaxReplyBytes)
}

// bulk reads the bytes of a bulk string (kind '$'), a verbatim string
// ('=') or a blob error ('!') whose header body is body.
func (d *Decoder) bulk(kind byte, body []byte) (any, error) {
	n64, err := parseInt(body)
	switch {
	case err != nil:
		return nil, err
	case n64 == -1:
		return nil, nil
	case n64 < -1:
		return nil, fmt.Errorf("%w: length %d out of range", ErrProtocol, n64)
	case n64 > d.lim.MaxBulkLen || n64 > math.MaxInt-2:
		return nil, d.tooLong(n64)
	}
	n := int(n64)
	if err := d.count(n + 2); err != nil {
		return nil, err
	}
	var s boxedString
	if n <= bulkStep {
		s = newBoxedString(n)
		err = d.readFull(s.buf)
	} else {
		s, err = d.readLarge(n)
	}
	if err == nil {
		err = d.readCRLF(n)
	}
	if err != nil {
		return nil, err
	}
	off := 0
	if kind == '=' {
		// Verbatim string: "txt:" or "mkd:" format prefix, then the text.
		if n < 4 || s.buf[3] != ':' {
			return nil, fmt.Errorf("%w: verbatim string without format", ErrProtocol)
		}
		off = 4
	}
	// s is this string's alone and never written again: share it.
	return s.value(off, n-off), nil
}

// tooLong is the error of a string of n bytes beyond MaxBulkLen.
func (d *Decoder) tooLong(n int64) error {
	return fmt.Errorf("%w: string of %d bytes, longer than %d (MaxBulkLen)", ErrProtocol, n, d.lim.MaxBulkLen)
}

// readFull fills buf from the stream.
func (d *Decoder) readFull(buf []byte) error {
	if _, err := io.ReadFull(d.br, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("resp: reading bulk string: %w", err)
	}
	return nil
}

// readCRLF reads the CRLF after a bulk string of n bytes. It is read on its
// own, not with the string, so that the string's allocation holds no more
// than its header and its bytes.
func (d *Decoder) readCRLF(n int) error {
	b, err := d.br.Peek(2)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("resp: reading bulk string: %w", err)
	}
	if b[0] != '\r' || b[1] != '\n' {
		return fmt.Errorf("%w: bulk string of %d bytes not followed by CRLF", ErrProtocol, n)
	}
	d.br.Discard(2)
	return nil
}

// readLarge reads a bulk string of n bytes when they are more than
// bulkStep: its first bulkStep bytes into a buffer of their own,
// then, the server having proved it sends them, the whole string into one
// allocation of its size. A length declared but not sent so reserves at
// most bulkStep.
func (d *Decoder) readLarge(n int) (boxedString, error) {
	first := make([]byte, bulkStep)
	if err := d.readFull(first); err != nil {
		return boxedString{}, err
	}
	s := newBoxedString(n)
	copy(s.buf, first)
	if err := d.readFull(s.buf[bulkStep:]); err != nil {
		return boxedString{}, err
	}
	return s, nil
}

func (d *Decoder) array(body []byte, depth int) (any, error) {
	n, err := parseLen(body, maxAggregateLen)
	if err != nil || n < 0 {
		return nil, err
	}
	if err := d.aggregate(n, depth); err != nil {
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

// aggregate checks an aggregate of n elements at depth against the limits.
func (d *Decoder) aggregate(n, depth int) error {
	if depth >= d.lim.MaxReplyDepth {
		return fmt.Errorf("%w: aggregates nested deeper than %d (MaxReplyDepth)", ErrProtocol, d.lim.MaxReplyDepth)
	}
	if d.lim.MaxReplyBytes > 0 && int64(n)*3 > d.lim.MaxReplyBytes-d.n {
		// Each element takes 3 bytes at least ("_\r\n").
		return fmt.Errorf("%w: %d elements cannot fit in a reply of %d bytes (MaxReplyBytes)", ErrProtocol, n, d.lim.MaxReplyBytes)
	}
	return nil
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
// later wins. A key that is an aggregate is a protocol error: the text of
// a map key holding map keys holds theirs, and so on, so that those texts
// grow with the square of the nesting (3 MB for 4 KB sent at depth 500).
func (d *Decoder) mapReply(body []byte, depth int) (any, error) {
	n, err := parseLen(body, maxAggregateLen/2)
	if err != nil || n < 0 {
		return nil, err
	}
	if err := d.aggregate(2*n, depth); err != nil {
		return nil, err
	}
	m := make(map[string]any, min(n, maxPrealloc/4))
	for range n {
		k, err := d.element(depth + 1)
		if err != nil {
			return nil, err
		}
		switch k.(type) {
		case []any, map[string]any:
			return nil, fmt.Errorf("%w: a map key that is an aggregate", ErrProtocol)
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

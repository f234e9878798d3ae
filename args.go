package redactor

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"unsafe"
)

// DoArgs queues one command like Do, with arguments of the Go types a
// command's arguments come in, each sent as the text Redis parses:
//
//   - string as it is, and []byte as its bytes (copied: the caller may
//     reuse the slice at once);
//   - int, int8, int16, int32, int64 and uint, uint8, uint16, uint32,
//     uint64 in base 10;
//   - float64 and float32 in the shortest decimal that reads back to the
//     same value, without an exponent ("1.5", "0.0001"); ±Inf as "inf" and
//     "-inf" (ZADD, ZRANGEBYSCORE);
//   - bool as "1" or "0".
//
// Any other argument (nil, a pointer, a named type such as time.Duration,
// a fmt.Stringer) and a NaN float, which no command takes, fail the
// command: it is never sent, and its Result.Err wraps ErrInvalidArgument.
// Convert such values yourself (int64(d / time.Second) for EXPIRE). The
// pipeline's other commands run as usual. In a WithTx pipeline, Exec
// refuses the whole transaction with that error instead, before any I/O.
//
// Numbers are written into memory the pipeline keeps for its next Exec,
// so queuing them allocates nothing once a pipeline of that size ran (up
// to 16 KiB of their text; beyond, a chunk of that size at a time).
func (p *Pipeline) DoArgs(cmd string, args ...any) {
	if p.q == nil {
		p.q = getQueue()
	}
	q := p.q
	q.room(1 + len(args))
	start := len(q.args)
	q.args = append(q.args, cmd)
	for i, a := range args {
		q.textRoom(a)
		s, buf, ok := appendArg(q.buf, a)
		q.buf = buf
		if !ok {
			clear(q.args[start:])
			q.args = q.args[:start]
			q.refused = append(q.refused, refusedCommand{index: len(q.cmds), err: argError(cmd, i, a)})
			q.push(nil)
			return
		}
		q.args = append(q.args, s)
	}
	q.push(q.args[start:len(q.args):len(q.args)])
}

// DoArgs runs one command like Do, with arguments of the Go types that
// Pipeline.DoArgs takes. A command with an argument of another type is
// never sent: its Result.Err wraps ErrInvalidArgument.
func (c *Client) DoArgs(ctx context.Context, cmd string, args ...any) Result {
	call := doCalls.Get().(*doCall)
	command := append(call.command[0][:0], cmd)
	for i, a := range args {
		s, buf, ok := appendArg(call.buf, a)
		call.buf = buf
		if !ok {
			clear(command)
			call.putBack()
			return Result{Err: argError(cmd, i, a)}
		}
		command = append(command, s)
	}
	return c.do(ctx, call, command)
}

// refusedCommand is a command DoArgs refused at its place in the queue:
// Exec gives it err as its Result and sends the others.
type refusedCommand struct {
	index int
	err   error
}

// maxCopiedArg is the largest []byte argument copied into the pipeline's
// own buffer; a larger one gets an allocation of its own, so that the
// buffer a pipeline keeps stays small.
const maxCopiedArg = 4 << 10

// appendArg returns the text of v to send as an argument: a string as it
// is; anything else written at the end of buf, which it returns grown, and
// returned as a string that shares buf's memory. The caller never writes
// that part of buf again while the string is in use: a buf that append
// grows moves, leaving the strings in the old memory. ok is false for a
// value DoArgs does not send (see argError). appendArg keeps no reference
// to v, so the caller's boxed arguments need not escape to the heap.
func appendArg(buf []byte, v any) (s string, out []byte, ok bool) {
	start := len(buf)
	switch v := v.(type) {
	case string:
		return v, buf, true
	case []byte:
		if len(v) > maxCopiedArg {
			return string(v), buf, true
		}
		buf = append(buf, v...)
	case int:
		buf = strconv.AppendInt(buf, int64(v), 10)
	case int64:
		buf = strconv.AppendInt(buf, v, 10)
	case int32:
		buf = strconv.AppendInt(buf, int64(v), 10)
	case int16:
		buf = strconv.AppendInt(buf, int64(v), 10)
	case int8:
		buf = strconv.AppendInt(buf, int64(v), 10)
	case uint:
		buf = strconv.AppendUint(buf, uint64(v), 10)
	case uint64:
		buf = strconv.AppendUint(buf, v, 10)
	case uint32:
		buf = strconv.AppendUint(buf, uint64(v), 10)
	case uint16:
		buf = strconv.AppendUint(buf, uint64(v), 10)
	case uint8:
		buf = strconv.AppendUint(buf, uint64(v), 10)
	case float64:
		if math.IsNaN(v) {
			return "", buf, false
		}
		buf = appendFloat(buf, v, 64)
	case float32:
		if math.IsNaN(float64(v)) {
			return "", buf, false
		}
		buf = appendFloat(buf, float64(v), 32)
	case bool:
		if v {
			return "1", buf, true
		}
		return "0", buf, true
	default:
		return "", buf, false
	}
	if len(buf) == start {
		return "", buf, true
	}
	return unsafe.String(&buf[start], len(buf)-start), buf, true
}

// appendFloat appends f as Redis parses floats: decimal without an
// exponent, and "inf" or "-inf".
func appendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(buf, "inf"...)
	case math.IsInf(f, -1):
		return append(buf, "-inf"...)
	}
	return strconv.AppendFloat(buf, f, 'f', -1, bits)
}

// argError is the error of a command whose argument i (counted from 0
// after the name) appendArg refused. It looks at v's type only, so v does
// not escape.
func argError(cmd string, i int, v any) error {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) {
			return fmt.Errorf("%w: %s argument %d is NaN, which no command takes", ErrInvalidArgument, cmd, i+1)
		}
	case float32:
		if math.IsNaN(float64(v)) {
			return fmt.Errorf("%w: %s argument %d is NaN, which no command takes", ErrInvalidArgument, cmd, i+1)
		}
	case nil:
		return fmt.Errorf("%w: %s argument %d is nil", ErrInvalidArgument, cmd, i+1)
	}
	return fmt.Errorf("%w: %s argument %d is a %s: DoArgs sends string, []byte, integers, floats and bool",
		ErrInvalidArgument, cmd, i+1, reflect.TypeOf(v).String())
}

package redactor

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestArgsText checks the text each argument type is sent as.
func TestArgsText(t *testing.T) {
	for _, tc := range []struct {
		name string
		arg  any
		want string
	}{
		{name: "string", arg: "ada", want: "ada"},
		{name: "empty string", arg: "", want: ""},
		{name: "bytes", arg: []byte("a\x00b"), want: "a\x00b"},
		{name: "empty bytes", arg: []byte{}, want: ""},
		{name: "nil bytes", arg: []byte(nil), want: ""},
		{name: "large bytes", arg: []byte(strings.Repeat("x", maxCopiedArg+1)), want: strings.Repeat("x", maxCopiedArg+1)},
		{name: "int", arg: -42, want: "-42"},
		{name: "int8", arg: int8(math.MinInt8), want: "-128"},
		{name: "int16", arg: int16(math.MaxInt16), want: "32767"},
		{name: "int32", arg: int32(math.MinInt32), want: "-2147483648"},
		{name: "int64", arg: int64(math.MinInt64), want: "-9223372036854775808"},
		{name: "uint", arg: uint(7), want: "7"},
		{name: "uint8", arg: uint8(255), want: "255"},
		{name: "uint16", arg: uint16(65535), want: "65535"},
		{name: "uint32", arg: uint32(math.MaxUint32), want: "4294967295"},
		{name: "uint64", arg: uint64(math.MaxUint64), want: "18446744073709551615"},
		{name: "float64", arg: 1.5, want: "1.5"},
		{name: "float64 integral", arg: 3.0, want: "3"},
		{name: "float64 small", arg: 1e-7, want: "0.0000001"},
		{name: "float64 negative zero", arg: math.Copysign(0, -1), want: "-0"},
		{name: "float64 inf", arg: math.Inf(1), want: "inf"},
		{name: "float64 -inf", arg: math.Inf(-1), want: "-inf"},
		{name: "float32 shortest", arg: float32(0.1), want: "0.1"},
		{name: "float32 inf", arg: float32(math.Inf(-1)), want: "-inf"},
		{name: "true", arg: true, want: "1"},
		{name: "false", arg: false, want: "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, ok := appendArg(nil, tc.arg)
			require.True(t, ok)
			assert.Equal(t, tc.want, s)
			if f, isFloat := tc.arg.(float64); isFloat && !math.IsInf(f, 0) {
				back, err := strconv.ParseFloat(s, 64)
				require.NoError(t, err)
				assert.Equal(t, f, back, "reads back to the same value")
			}
		})
	}
}

// TestArgsRefused checks the arguments DoArgs does not send, and their
// errors.
func TestArgsRefused(t *testing.T) {
	type userID int64
	for _, tc := range []struct {
		name     string
		arg      any
		wantText string
	}{
		{name: "nil", arg: nil, wantText: "SET argument 2 is nil"},
		{name: "NaN", arg: math.NaN(), wantText: "SET argument 2 is NaN"},
		{name: "float32 NaN", arg: float32(math.NaN()), wantText: "is NaN"},
		{name: "duration", arg: time.Second, wantText: "SET argument 2 is a time.Duration"},
		{name: "named integer", arg: userID(7), wantText: "redactor.userID"},
		{name: "stringer", arg: time.Unix(0, 0), wantText: "time.Time"},
		{name: "pointer", arg: new(int), wantText: "*int"},
		{name: "strings", arg: []string{"a"}, wantText: "[]string"},
		{name: "uintptr", arg: uintptr(1), wantText: "uintptr"},
		{name: "complex", arg: 1i, wantText: "complex128"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, ok := appendArg(nil, tc.arg)
			require.False(t, ok)
			err := argError("SET", 1, tc.arg)
			assert.True(t, errors.Is(err, ErrInvalidArgument))
			assert.Contains(t, err.Error(), tc.wantText)
		})
	}
}

// TestArgsQueue checks what DoArgs leaves in the queue: the converted
// arguments in place, a refused command as a nil placeholder with its
// error, and nothing of the refused command's arguments.
func TestArgsQueue(t *testing.T) {
	var p Pipeline
	p.DoArgs("SET", "k", 1)
	p.DoArgs("SET", "k", 2, time.Second)
	p.DoArgs("ZADD", "z", 1.5, []byte("m"))
	p.Do("GET", "k")
	require.Equal(t, 4, p.Len())
	assert.Equal(t, [][]string{{"SET", "k", "1"}, nil, {"ZADD", "z", "1.5", "m"}, {"GET", "k"}}, p.q.cmds)
	require.Len(t, p.q.refused, 1)
	assert.Equal(t, 1, p.q.refused[0].index)
	assert.ErrorIs(t, p.q.refused[0].err, ErrInvalidArgument)
	assert.Equal(t, []string{"SET", "k", "1", "ZADD", "z", "1.5", "m", "GET", "k"}, p.q.args)
	putQueue(p.q)
}

// TestArgsBufferMoves checks that arguments stay intact while the buffer
// they are written into grows and moves.
func TestArgsBufferMoves(t *testing.T) {
	var p Pipeline
	for i := range 1000 {
		p.DoArgs("SET", i, []byte(fmt.Sprint("v", i)), float64(i)/4)
	}
	for i, cmd := range p.q.cmds {
		assert.Equal(t, []string{"SET", fmt.Sprint(i), fmt.Sprint("v", i), strconv.FormatFloat(float64(i)/4, 'f', -1, 64)}, cmd)
	}
	putQueue(p.q)
}

// TestArgsCallerBytes checks that DoArgs copies a []byte argument: the
// caller may reuse it at once.
func TestArgsCallerBytes(t *testing.T) {
	var p Pipeline
	b := []byte("first")
	p.DoArgs("SET", "k", b)
	copy(b, "XXXXX")
	assert.Equal(t, "first", p.q.cmds[0][2])
	putQueue(p.q)
}

// BenchmarkArgsQueue queues a pipeline of 100 commands (SET with a key, a
// 32-byte value and an expiry, as EX seconds) with Do, converting the
// numbers by hand, and with DoArgs; reset recycles the queue as Exec does.
// No cluster is needed: it measures queuing only.
func BenchmarkArgsQueue(b *testing.B) {
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench:args:%d", i)
	}
	value := []byte(strings.Repeat("v", 32))
	run := func(b *testing.B, queue func(p *Pipeline, i int)) {
		var p Pipeline
		b.ReportAllocs()
		for b.Loop() {
			for i := range keys {
				queue(&p, i)
			}
			putQueue(p.q)
			p.q = nil
		}
	}
	b.Run("Do/strings", func(b *testing.B) {
		v := string(value)
		run(b, func(p *Pipeline, i int) { p.Do("SET", keys[i], v, "EX", "3600") })
	})
	b.Run("Do/strconv", func(b *testing.B) {
		run(b, func(p *Pipeline, i int) {
			p.Do("SET", keys[i], string(value), "EX", strconv.Itoa(3600+i))
		})
	})
	b.Run("DoArgs/strings", func(b *testing.B) {
		v := string(value)
		run(b, func(p *Pipeline, i int) { p.DoArgs("SET", keys[i], v, "EX", "3600") })
	})
	b.Run("DoArgs/typed", func(b *testing.B) {
		run(b, func(p *Pipeline, i int) { p.DoArgs("SET", keys[i], value, "EX", 3600+i) })
	})
	b.Run("DoArgs/float", func(b *testing.B) {
		run(b, func(p *Pipeline, i int) { p.DoArgs("ZADD", "bench:zset", float64(i)+0.5, keys[i]) })
	})
}

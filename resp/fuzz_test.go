package resp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// Fuzz targets of the parsers that read what a server sends: replies
// under limits, redirects, key specs and command tables. FuzzReadReply
// (reader_test.go) compares the decoders, FuzzKeyPositions
// (commandtable_test.go) the real command tables. .ci/fuzz runs them all.

// hostileSeeds are inputs of both protocols, and of the hostile streams
// the limits are for, in small.
var hostileSeeds = []string{
	"+OK\r\n", "-ERR x\r\n", ":-12\r\n", "$5\r\nhello\r\n", "$-1\r\n", "*-1\r\n",
	"*2\r\n$1\r\na\r\n*1\r\n:1\r\n",
	"%1\r\n+k\r\n~2\r\n#t\r\n,1.5\r\n", "_\r\n", "(123456789012345678901234567890\r\n",
	"=8\r\ntxt:abcd\r\n", "!5\r\nERR x\r\n", ">2\r\n+invalidate\r\n*1\r\n+k\r\n:7\r\n",
	strings.Repeat("|1\r\n+k\r\n+v\r\n", 20) + ":1\r\n",
	strings.Repeat("*1\r\n", 300) + ":1\r\n",
	strings.Repeat(">1\r\n+p\r\n", 50) + ":1\r\n",
	"*2000000000\r\n*2000000000\r\n%1000000000\r\n",
	"$536870912\r\nxx",
	"+" + strings.Repeat("x", 100) + "\r\n",
}

// FuzzDecoderLimits decodes any input under any limits: the decoders never
// panic, fail only with ErrProtocol or a truncated stream, and what they
// return respects the limits.
func FuzzDecoderLimits(f *testing.F) {
	for i, s := range hostileSeeds {
		f.Add([]byte(s), uint8(i%4), uint16(i*7%12), uint16(i*13%40))
	}
	f.Fuzz(func(t *testing.T, data []byte, depth uint8, bulk, replyBytes uint16) {
		lim := Limits{MaxReplyDepth: int(depth), MaxBulkLen: int64(bulk), MaxReplyBytes: int64(replyBytes)}
		eff := lim.withDefaults()
		src := bytes.NewReader(data)
		br := bufio.NewReaderSize(src, 16)
		d := NewDecoder(br).SetLimits(lim)
		pd := NewPlainDecoder(bufio.NewReaderSize(bytes.NewReader(data), 16)).SetLimits(lim)
		noPush := !bytes.Contains(data, []byte{'>'})
		consumed := 0
		for range 8 {
			v, err := d.Decode()
			pv, perr := pd.Decode()
			if fmt.Sprint(v, err) != fmt.Sprint(pv, perr) {
				t.Fatalf("Decoder gave %v, %v; plain Decoder %v, %v", v, err, pv, perr)
			}
			replyErr, isReply := AsError(err)
			if err != nil && !isReply {
				if !errors.Is(err, ErrProtocol) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("error neither ErrProtocol nor a truncated stream: %v", err)
				}
				return
			}
			if isReply {
				v = replyErr
			}
			if got := depthOf(v); got > eff.MaxReplyDepth {
				t.Fatalf("reply nested %d deep, limit %d: %v", got, eff.MaxReplyDepth, v)
			}
			if n := longestString(v); int64(n) > eff.MaxBulkLen {
				t.Fatalf("string of %d bytes, limit %d", n, eff.MaxBulkLen)
			}
			// A key's text may be a scalar's: up to a big number's digits.
			if n := longestKey(v); int64(n) > max(eff.MaxBulkLen, maxNumberLine+1, 32) {
				t.Fatalf("map key of %d bytes, limit %d", n, eff.MaxBulkLen)
			}
			now := int(src.Size()) - src.Len() - br.Buffered()
			if noPush && eff.MaxReplyBytes > 0 && int64(now-consumed) > eff.MaxReplyBytes {
				t.Fatalf("reply of %d bytes, limit %d", now-consumed, eff.MaxReplyBytes)
			}
			consumed = now
		}
	})
}

// depthOf returns how deeply v's aggregates nest: 0 for a scalar.
func depthOf(v any) int {
	deepest := 0
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			deepest = max(deepest, depthOf(e))
		}
		return deepest + 1
	case map[string]any:
		for _, e := range v {
			deepest = max(deepest, depthOf(e))
		}
		return deepest + 1
	}
	return 0
}

// longestString returns the length of the longest string value in v, or
// error text.
func longestString(v any) int {
	longest := 0
	switch v := v.(type) {
	case string:
		return len(v)
	case *Error:
		return len(v.Msg)
	case *big.Int:
		return 0
	case []any:
		for _, e := range v {
			longest = max(longest, longestString(e))
		}
	case map[string]any:
		for _, e := range v {
			longest = max(longest, longestString(e))
		}
	}
	return longest
}

// longestKey returns the length of the longest map key in v.
func longestKey(v any) int {
	longest := 0
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			longest = max(longest, longestKey(e))
		}
	case map[string]any:
		for k, e := range v {
			longest = max(longest, len(k), longestKey(e))
		}
	}
	return longest
}

// FuzzRedirect parses any error text as MOVED and ASK: a redirect has a
// slot of the cluster and an address, and reads back the same.
func FuzzRedirect(f *testing.F) {
	for _, s := range []string{"MOVED 3999 127.0.0.1:6381", "ASK 12 [::1]:7000", "MOVED 16383 :6379",
		"MOVED 16384 a:1", "MOVED -1 a:1", "ASK 1 a b", "MOVED 1  a:1", "MOVED +7 h:1", "MOVED 99999999999999999999 h:1",
		"MOVED", "ASK ", "ERR MOVED 1 a:1", "MOVED 0 host.example:6380 extra"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		e := &Error{Msg: msg}
		mSlot, mAddr, moved := e.IsMoved()
		aSlot, aAddr, ask := e.IsAsk()
		if moved && ask {
			t.Fatalf("%q is both MOVED and ASK", msg)
		}
		if e.IsRedirect() != (moved || ask) {
			t.Fatalf("%q: IsRedirect %v, moved %v, ask %v", msg, e.IsRedirect(), moved, ask)
		}
		for _, r := range []struct {
			kind string
			slot int
			addr string
			ok   bool
		}{{"MOVED", mSlot, mAddr, moved}, {"ASK", aSlot, aAddr, ask}} {
			if !r.ok {
				continue
			}
			if r.slot < 0 || r.slot >= slotCount {
				t.Fatalf("%q: slot %d out of range", msg, r.slot)
			}
			if r.addr == "" || strings.Contains(r.addr, " ") {
				t.Fatalf("%q: address %q", msg, r.addr)
			}
			again := &Error{Msg: fmt.Sprintf("%s %d %s", r.kind, r.slot, r.addr)}
			slot, addr, ok := again.redirect(r.kind + " ")
			if !ok || slot != r.slot || addr != r.addr {
				t.Fatalf("%q read back from %q as %d %q %v", again.Msg, msg, slot, addr, ok)
			}
		}
	})
}

// FuzzKeySpec finds keys in any arguments with any key spec, as a hostile
// server's COMMAND reply could give: it ends, and the keys it finds are in
// the arguments, in ascending order, each once.
func FuzzKeySpec(f *testing.F) {
	f.Add(uint8(1), int32(1), "", int32(0), uint8(1), int32(-1), int32(1), int32(0), int32(0), int32(0), "MSET a 1 b 2")
	f.Add(uint8(1), int32(1), "", int32(0), uint8(1), int32(-1), int32(2), int32(2), int32(0), int32(0), "MSET a 1 b 2")
	f.Add(uint8(1), int32(1), "", int32(0), uint8(2), int32(0), int32(1), int32(0), int32(0), int32(1), "EVAL s 2 a b x")
	f.Add(uint8(2), int32(0), "STREAMS", int32(1), uint8(1), int32(-1), int32(1), int32(2), int32(0), int32(0), "XREAD COUNT 2 STREAMS a b 0 0")
	f.Add(uint8(2), int32(0), "STORE", int32(-1), uint8(1), int32(0), int32(1), int32(0), int32(0), int32(0), "SORT k STORE d")
	f.Add(uint8(1), int32(2147483647), "", int32(-2147483648), uint8(2), int32(2147483647), int32(-2147483648), int32(-1), int32(2147483647), int32(2147483647), "X 1 2 3")
	f.Fuzz(func(t *testing.T, begin uint8, index int32, keyword string, startFrom int32,
		find uint8, lastKey, keyStep, limit, keyNumIdx, firstKey int32, line string) {
		s := KeySpec{
			BeginSearch: BeginSearch{Type: BeginSearchType(begin % 3), Index: int(index), Keyword: keyword, StartFrom: int(startFrom)},
			FindKeys: FindKeys{Type: FindKeysType(find % 3), LastKey: int(lastKey), KeyStep: int(keyStep), Limit: int(limit),
				KeyNumIdx: int(keyNumIdx), FirstKey: int(firstKey)},
		}
		args := strings.Split(line, " ")
		checkKeys(t, args, s.appendKeys(args, nil))
	})
}

// checkKeys fails unless keys are positions of args after the name, in
// ascending order, each once.
func checkKeys(t *testing.T, args []string, keys []int) {
	t.Helper()
	for i, p := range keys {
		if p < 1 || p >= len(args) {
			t.Fatalf("keys of %q: %v: %d out of range", args, keys, p)
		}
		if i > 0 && p <= keys[i-1] {
			t.Fatalf("keys of %q: %v: not ascending and unique", args, keys)
		}
	}
}

// FuzzCommandTable parses any reply as a COMMAND reply, and finds the keys
// of each command it defines in any arguments: the parser never panics,
// and the keys are positions of the arguments, ascending, each once.
func FuzzCommandTable(f *testing.F) {
	for _, name := range fixtures {
		v, err := loadJSONReply(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		entries := v.([]any)
		sort.Slice(entries, func(i, j int) bool { return fmt.Sprint(entries[i]) < fmt.Sprint(entries[j]) })
		for i := 0; i < len(entries); i += 16 {
			chunk := entries[i:min(i+16, len(entries))]
			f.Add(appendValue(nil, chunk, strings.Contains(name, "resp3")), "a b c d e f")
		}
	}
	f.Add([]byte("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n*0\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*0\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"), "k")
	f.Fuzz(func(t *testing.T, data []byte, line string) {
		reply, err := ReadReply(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		tab, err := ParseCommandTable(reply)
		if err != nil {
			return
		}
		var names []string
		for name, info := range tab.commands {
			names = append(names, name)
			for _, sub := range info.subcommands {
				names = append(names, strings.ReplaceAll(sub.Name, "|", " "))
			}
		}
		slices.Sort(names)
		for _, name := range names {
			args := append(strings.Split(name, " "), strings.Split(line, " ")...)
			keys, ok := tab.KeyPositions(args, nil)
			if _, found := tab.Lookup(args); found != ok {
				t.Fatalf("KeyPositions(%q) ok = %v, Lookup found = %v", args, ok, found)
			}
			checkKeys(t, args, keys)
		}
	})
}

// appendValue encodes a decoded reply as RESP: RESP3 maps, nulls and
// booleans with resp3, RESP2 only without.
func appendValue(b []byte, v any, resp3 bool) []byte {
	switch v := v.(type) {
	case nil:
		if resp3 {
			return append(b, "_\r\n"...)
		}
		return append(b, "$-1\r\n"...)
	case string:
		return fmt.Appendf(b, "$%d\r\n%s\r\n", len(v), v)
	case int64:
		return fmt.Appendf(b, ":%d\r\n", v)
	case bool:
		if !resp3 {
			return appendValue(b, map[bool]int64{true: 1}[v], false)
		}
		return fmt.Appendf(b, "#%c\r\n", map[bool]byte{true: 't', false: 'f'}[v])
	case []any:
		b = fmt.Appendf(b, "*%d\r\n", len(v))
		for _, e := range v {
			b = appendValue(b, e, resp3)
		}
		return b
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if resp3 {
			b = fmt.Appendf(b, "%%%d\r\n", len(v))
		} else {
			b = fmt.Appendf(b, "*%d\r\n", 2*len(v))
		}
		for _, k := range keys {
			b = appendValue(b, k, resp3)
			b = appendValue(b, v[k], resp3)
		}
		return b
	}
	panic(fmt.Sprintf("appendValue: %T", v))
}

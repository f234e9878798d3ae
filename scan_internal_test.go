package redactor

import (
	"encoding/base64"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clusterNodesSample is a CLUSTER NODES reply of a master migrating slot 5
// and importing slot 9000, in a cluster with a failed master.
const clusterNodesSample = "" +
	"7b6505569a5934263a97259226e1ccfa568e0854 127.0.0.1:7101@17101 myself,master - 0 0 7 connected 0-8191 10000 [5->-96cd4a0509dde6df18556ac593d87780a35d2541] [9000-<-96cd4a0509dde6df18556ac593d87780a35d2541]\n" +
	"96cd4a0509dde6df18556ac593d87780a35d2541 127.0.0.1:7102@17102 master - 0 1796211286880 3 connected 8192-9999\n" +
	"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:7103@17103 master,fail - 0 1796211286880 2 disconnected 10001-16000\n" +
	"292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:7104@17104 slave 7b6505569a5934263a97259226e1ccfa568e0854 0 1796211286880 7 connected\n"

func TestParseClusterNodes(t *testing.T) {
	st, err := parseClusterNodes(clusterNodesSample)
	require.NoError(t, err)
	assert.Equal(t, "7b6505569a5934263a97259226e1ccfa568e0854", st.id)
	assert.Equal(t, uint64(7), st.epoch)
	assert.True(t, st.master)
	assert.Equal(t, "0-4,6-8191,10000", st.stable.String(), "the migrating slot is not stable; the importing one not owned")
	assert.Equal(t, "0-16000", st.claimed.String(), "a failed master still claims its slots")

	replica := "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:7104@17104 myself,slave 7b6505569a5934263a97259226e1ccfa568e0854 0 0 7 connected\n"
	st, err = parseClusterNodes(replica)
	require.NoError(t, err)
	assert.False(t, st.master)
	assert.Zero(t, st.stable.count())

	for _, tc := range []struct {
		name, text string
	}{
		{name: "no myself", text: "96cd 127.0.0.1:7102@17102 master - 0 0 3 connected 0-16383\n"},
		{name: "short line", text: "96cd 127.0.0.1:7102@17102 myself,master - 0 0\n"},
		{name: "bad range", text: "96cd 127.0.0.1:7102@17102 myself,master - 0 0 3 connected 10-5\n"},
		{name: "slot too high", text: "96cd 127.0.0.1:7102@17102 myself,master - 0 0 3 connected 16384\n"},
		{name: "bad migration", text: "96cd 127.0.0.1:7102@17102 myself,master - 0 0 3 connected [x->-id]\n"},
		{name: "bad epoch", text: "96cd 127.0.0.1:7102@17102 myself,master - 0 0 x connected 1\n"},
		{name: "empty", text: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseClusterNodes(tc.text)
			assert.Error(t, err)
		})
	}
}

func TestParseInfo(t *testing.T) {
	info := parseInfo("# Server\r\nredis_version:7.0.15\r\nrun_id:abc\r\n\r\n# Commandstats\r\n" +
		"cmdstat_restore-asking:calls=12,usec=25,usec_per_call=2.08,rejected_calls=0,failed_calls=1\r\n" +
		"cmdstat_cluster|nodes:calls=2,usec=97\r\n")
	assert.Equal(t, "abc", info["run_id"])
	assert.Equal(t, uint64(12), statCalls(info["cmdstat_restore-asking"]))
	assert.Equal(t, uint64(2), statCalls(info["cmdstat_cluster|nodes"]))
	assert.Zero(t, statCalls(info["cmdstat_restore"]), "a command that never ran has no line")
}

func TestConfirmedSlots(t *testing.T) {
	base := nodeState{id: "n1", runID: "r1", replID: "p1", master: true, epoch: 7, restores: 3}
	base.stable.addRange(0, 99)
	for _, tc := range []struct {
		name   string
		change func(end *nodeState)
		want   string
	}{
		{name: "nothing changed", change: func(*nodeState) {}, want: "0-99"},
		{name: "slots left", change: func(e *nodeState) { e.stable = slotSet{}; e.stable.addRange(10, 99) }, want: "10-99"},
		{name: "slots came", change: func(e *nodeState) { e.stable.addRange(100, 200) }, want: "0-99"},
		{name: "keys came in", change: func(e *nodeState) { e.restores++ }, want: ""},
		{name: "new epoch", change: func(e *nodeState) { e.epoch++ }, want: ""},
		{name: "restarted", change: func(e *nodeState) { e.runID = "r2" }, want: ""},
		{name: "was a replica meanwhile", change: func(e *nodeState) { e.replID = "p2" }, want: ""},
		{name: "reset", change: func(e *nodeState) { e.id = "n2" }, want: ""},
		{name: "now a replica", change: func(e *nodeState) { e.master = false }, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			end := base
			tc.change(&end)
			got := confirmedSlots(&base, &end)
			assert.Equal(t, tc.want, got.String())
		})
	}
}

func TestSlotSetRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		var s slotSet
		for range rng.IntN(50) {
			first := rng.IntN(16384)
			s.addRange(first, min(first+rng.IntN(300), 16383))
		}
		back, err := parseSlotRanges(s.String())
		require.NoError(t, err)
		require.Equal(t, s, back, s.String())
	}
	var all slotSet
	all.addRange(0, 16383)
	assert.True(t, all.full())
	assert.Equal(t, "0-16383", all.String())
	assert.Equal(t, 16384, all.count())
	for _, bad := range []string{"x", "5-", "-5", "9-3", "16384", "1,,2"} {
		_, err := parseSlotRanges(bad)
		assert.Error(t, err, bad)
	}
}

func TestParseScanReply(t *testing.T) {
	cursor, keys, err := parseScanReply([]any{"17", []any{"a", "b"}})
	require.NoError(t, err)
	assert.Equal(t, "17", cursor)
	assert.Equal(t, []string{"a", "b"}, keys)
	for _, bad := range []any{nil, "x", []any{"0"}, []any{int64(0), []any{}}, []any{"0", "a"}, []any{"0", []any{int64(1)}}} {
		_, _, err := parseScanReply(bad)
		assert.ErrorIs(t, err, errScanReply, "%#v", bad)
	}
}

func TestScanCursorRoundTrip(t *testing.T) {
	opts := ScanOptions{Match: "user:*", Type: "hash"}
	start := nodeState{id: "n1", runID: "r1", replID: "p1", master: true, epoch: 7, restores: 3}
	start.stable.addRange(0, 5460)
	for _, tc := range []struct {
		name     string
		pass     *scanPass
		page     []string
		wantNext string
		wantEnd  bool
	}{
		{name: "between passes"},
		{name: "pass started", pass: &scanPass{addr: "127.0.0.1:7000", start: start, cursor: "0"}, wantNext: "0"},
		{name: "page handed out", pass: &scanPass{addr: "127.0.0.1:7000", start: start, cursor: "96", pageCursor: "40"}, wantNext: "96"},
		{name: "page in progress", pass: &scanPass{addr: "127.0.0.1:7000", start: start, cursor: "96", pageCursor: "40"},
			page: []string{"k"}, wantNext: "40"},
		{name: "scan ended", pass: &scanPass{addr: "[::1]:7000", start: start, cursor: "0", pageCursor: "96", ended: true},
			wantNext: "0", wantEnd: true},
		{name: "last page in progress", pass: &scanPass{addr: "127.0.0.1:7000", start: start, cursor: "0", pageCursor: "96", ended: true},
			page: []string{"k"}, wantNext: "96"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := (*Client)(nil).Scan(opts)
			it.done.addRange(100, 200)
			it.done.add(9000)
			it.pass, it.page = tc.pass, tc.page
			back := (*Client)(nil).Scan(ScanOptions{Match: opts.Match, Type: opts.Type, Count: 5, Cursor: it.Cursor()})
			require.NoError(t, back.Err())
			assert.Equal(t, it.done, back.done)
			assert.Empty(t, back.page)
			if tc.pass == nil {
				assert.Nil(t, back.pass)
				return
			}
			require.NotNil(t, back.pass)
			assert.Equal(t, tc.pass.addr, back.pass.addr)
			assert.Equal(t, tc.wantNext, back.pass.cursor)
			assert.Equal(t, tc.wantEnd, back.pass.ended)
			assert.Equal(t, start, back.pass.start)
		})
	}
}

func TestScanCursorInvalid(t *testing.T) {
	valid := (*Client)(nil).Scan(ScanOptions{Match: "a*"}).Cursor()
	encode := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name   string
		opts   ScanOptions
		cursor string
	}{
		{name: "not base64", opts: ScanOptions{Match: "a*"}, cursor: "%%"},
		{name: "other version", opts: ScanOptions{Match: "a*"}, cursor: encode("redactor-scan-0|0|")},
		{name: "other match", opts: ScanOptions{Match: "b*"}, cursor: valid},
		{name: "other type", opts: ScanOptions{Match: "a*", Type: "set"}, cursor: valid},
		{name: "bad slots", opts: ScanOptions{}, cursor: encode(cursorVersion + "|" + sumText(ScanOptions{}) + "|5-1")},
		{name: "fields missing", opts: ScanOptions{}, cursor: encode(cursorVersion + "|" + sumText(ScanOptions{}) + "||addr|0")},
		{name: "bad SCAN cursor", opts: ScanOptions{}, cursor: encode(cursorVersion + "|" + sumText(ScanOptions{}) + "||addr|x|n|r|p|1|2|0-5")},
		{name: "bad epoch", opts: ScanOptions{}, cursor: encode(cursorVersion + "|" + sumText(ScanOptions{}) + "||addr|0|n|r|p|x|2|0-5")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Cursor = tc.cursor
			it := (*Client)(nil).Scan(tc.opts)
			assert.ErrorIs(t, it.Err(), ErrInvalidCursor)
			assert.False(t, it.Next(t.Context()))
		})
	}
}

func sumText(opts ScanOptions) string {
	it := (*Client)(nil).Scan(opts)
	text, _ := base64.RawURLEncoding.DecodeString(it.Cursor())
	f := string(text)
	f = f[len(cursorVersion)+1:]
	return f[:len(f)-1]
}

package resp

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

//go:generate sh testdata/gen-command.sh

// The fixtures are the COMMAND reply of redis-server 7.0 over RESP2 (key specs
// as flat arrays) and RESP3 (key specs as maps), see testdata/gen-command.sh.
var fixtures = []string{"command-7.0.json", "command-7.0-resp3.json"}

var (
	tablesOnce sync.Once
	tables     map[string]*CommandTable
	tablesErr  error
)

// loadTables parses every fixture once.
func loadTables(t testing.TB) map[string]*CommandTable {
	t.Helper()
	tablesOnce.Do(func() {
		tables = map[string]*CommandTable{}
		for _, name := range fixtures {
			reply, err := loadJSONReply(filepath.Join("testdata", name))
			if err != nil {
				tablesErr = err
				return
			}
			if tables[name], err = ParseCommandTable(reply); err != nil {
				tablesErr = err
				return
			}
		}
	})
	if tablesErr != nil {
		t.Fatal(tablesErr)
	}
	return tables
}

// loadJSONReply reads a redis-cli --json dump as a decoded reply: numbers
// become int64, strings string, arrays []any and objects map[string]any.
func loadJSONReply(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return jsonToReply(v)
}

func jsonToReply(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		return v.Int64()
	case []any:
		for i := range v {
			var err error
			if v[i], err = jsonToReply(v[i]); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		for k := range v {
			var err error
			if v[k], err = jsonToReply(v[k]); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

func TestParseCommandTableFixtures(t *testing.T) {
	tabs := loadTables(t)
	resp2, resp3 := tabs[fixtures[0]], tabs[fixtures[1]]
	if n := len(resp2.commands); n < 200 {
		t.Fatalf("parsed %d commands, want the ~240 of Redis 7.0", n)
	}
	if !reflect.DeepEqual(resp2, resp3) {
		t.Error("the RESP2 and RESP3 fixtures parse to different tables")
	}

	get, ok := resp2.Lookup([]string{"GET", "k"})
	if !ok {
		t.Fatal("GET not found")
	}
	wantGet := KeySpec{
		Flags:       KeyRO | KeyAccess,
		BeginSearch: BeginSearch{Type: BeginSearchIndex, Index: 1},
		FindKeys:    FindKeys{Type: FindKeysRange, LastKey: 0, KeyStep: 1},
	}
	if get.Name != "get" || get.Arity != 2 || get.Flags != FlagReadOnly|FlagFast ||
		get.FirstKey != 1 || get.LastKey != 1 || get.Step != 1 ||
		!reflect.DeepEqual(get.KeySpecs, []KeySpec{wantGet}) {
		t.Errorf("GET = %+v", get)
	}

	eval, _ := resp2.Lookup([]string{"eval"})
	if !eval.Flags.Has(FlagNoScript|FlagMovableKeys) || eval.Flags.Has(FlagWrite) || eval.FirstKey != 0 {
		t.Errorf("EVAL flags %b first %d", eval.Flags, eval.FirstKey)
	}
	if len(eval.KeySpecs) != 1 || eval.KeySpecs[0].FindKeys != (FindKeys{Type: FindKeysKeyNum, KeyNumIdx: 0, FirstKey: 1, KeyStep: 1}) ||
		eval.KeySpecs[0].Notes == "" {
		t.Errorf("EVAL key specs %+v", eval.KeySpecs)
	}
	xread, _ := resp2.Lookup([]string{"xread"})
	if bs := xread.KeySpecs[0].BeginSearch; bs != (BeginSearch{Type: BeginSearchKeyword, Keyword: "STREAMS", StartFrom: 1}) {
		t.Errorf("XREAD begin_search %+v", bs)
	}
	mig, _ := resp2.Lookup([]string{"migrate"})
	if s := mig.KeySpecs[1]; s.Flags&KeyIncomplete == 0 || s.BeginSearch.StartFrom != -2 {
		t.Errorf("MIGRATE second key spec %+v", s)
	}
	sortCmd, _ := resp2.Lookup([]string{"sort"})
	if len(sortCmd.KeySpecs) != 3 || sortCmd.KeySpecs[2].BeginSearch.Type != BeginSearchUnknown ||
		sortCmd.KeySpecs[2].FindKeys.Type != FindKeysUnknown {
		t.Errorf("SORT key specs %+v", sortCmd.KeySpecs)
	}
	usage, _ := resp2.Lookup([]string{"memory", "usage"})
	if usage.Name != "memory|usage" || usage.Arity != -3 || usage.KeySpecs[0].BeginSearch.Index != 2 {
		t.Errorf("MEMORY USAGE = %+v", usage)
	}
	spub, _ := resp2.Lookup([]string{"spublish"})
	if spub.KeySpecs[0].Flags != KeyNotKey || !spub.Flags.Has(FlagPubSub) {
		t.Errorf("SPUBLISH = %+v", spub)
	}
}

func TestLookup(t *testing.T) {
	tab := loadTables(t)[fixtures[0]]
	for _, tc := range []struct {
		args []string
		want string // "" for not found
	}{
		{[]string{"get", "k"}, "get"},
		{[]string{"GET"}, "get"},
		{[]string{"gEt", "k"}, "get"},
		{[]string{"memory", "usage", "k"}, "memory|usage"},
		{[]string{"MEMORY", "Usage", "k"}, "memory|usage"},
		{[]string{"memory"}, "memory"},
		{[]string{"memory", "nosuchsub"}, "memory"},
		{[]string{"XINFO", "STREAM", "s"}, "xinfo|stream"},
		{[]string{"CLIENT", "NO-EVICT", "on"}, "client|no-evict"},
		{[]string{"nosuchcommand"}, ""},
		{[]string{strings.Repeat("G", 40)}, ""},
		{[]string{""}, ""},
		{nil, ""},
	} {
		info, ok := tab.Lookup(tc.args)
		if ok != (tc.want != "") || ok && info.Name != tc.want {
			t.Errorf("Lookup(%q) = %v, %v; want %q", tc.args, info, ok, tc.want)
		}
	}
	var nilTable *CommandTable
	if _, ok := nilTable.Lookup([]string{"get"}); ok {
		t.Error("nil table found GET")
	}
}

// keyCases are the key positions the server's COMMAND GETKEYS gives (or, for
// invalid calls, no keys, where the server answers with an error).
var keyCases = []struct {
	name string
	args string // split on spaces; '' is an empty argument
	want []int
	ok   bool
}{
	{"GET", "GET k", []int{1}, true},
	{"mixed case", "gEt k", []int{1}, true},
	{"SET", "SET k v EX 10 GET", []int{1}, true},
	{"MSET", "MSET k1 v1 k2 v2", []int{1, 3}, true},
	{"MGET", "MGET a b c", []int{1, 2, 3}, true},
	{"DEL", "DEL a b c", []int{1, 2, 3}, true},
	{"BITOP", "BITOP AND dst a b", []int{2, 3, 4}, true},
	{"EVAL 2 keys", "EVAL script 2 k1 k2 arg", []int{3, 4}, true},
	{"EVAL 0 keys", "EVAL script 0 arg", nil, true},
	{"EVAL numkeys too big", "EVAL script 3 k1 k2", nil, true},
	{"EVAL numkeys negative", "EVAL script -1 k1", nil, true},
	{"EVAL numkeys not a number", "EVAL script two k1 k2", nil, true},
	{"EVALSHA 2 keys", "EVALSHA sha 2 k1 k2 arg", []int{3, 4}, true},
	{"EVALSHA 0 keys", "EVALSHA sha 0", nil, true},
	{"EVAL_RO", "EVAL_RO script 1 k", []int{3}, true},
	{"FCALL 2 keys", "FCALL fn 2 k1 k2 a1 a2", []int{3, 4}, true},
	{"FCALL 0 keys", "FCALL fn 0 a1", nil, true},
	{"FCALL_RO", "fcall_ro fn 1 k", []int{3}, true},
	{"XREAD", "XREAD COUNT 2 STREAMS s1 s2 0 0", []int{4, 5}, true},
	{"XREAD BLOCK", "XREAD BLOCK 0 STREAMS s 0", []int{4}, true},
	{"XREAD no STREAMS", "XREAD COUNT 2 s1 0", nil, true},
	{"XREADGROUP", "XREADGROUP GROUP g c COUNT 1 STREAMS s1 s2 > >", []int{7, 8}, true},
	{"XREADGROUP consumer named streams", "XREADGROUP GROUP g streams STREAMS s >", []int{5}, true},
	{"MEMORY USAGE", "MEMORY USAGE key SAMPLES 5", []int{2}, true},
	{"MEMORY STATS", "MEMORY STATS", nil, true},
	{"OBJECT ENCODING", "OBJECT ENCODING key", []int{2}, true},
	{"object freq lower", "object freq key", []int{2}, true},
	{"XINFO STREAM", "XINFO STREAM key FULL", []int{2}, true},
	{"XGROUP CREATE", "XGROUP CREATE s g $ MKSTREAM", []int{2}, true},
	{"ZUNIONSTORE", "ZUNIONSTORE dst 2 a b WEIGHTS 1 2", []int{1, 3, 4}, true},
	{"ZINTERSTORE", "ZINTERSTORE dst 1 a", []int{1, 3}, true},
	{"ZUNION", "ZUNION 2 a b WITHSCORES", []int{2, 3}, true},
	{"SORT", "SORT k", []int{1}, true},
	{"SORT STORE", "SORT k BY w_* GET # GET o_* STORE dst", []int{1, 9}, true},
	{"SORT LIMIT STORE", "SORT k LIMIT 0 10 ALPHA STORE dst", []int{1, 7}, true},
	{"SORT pattern named store", "SORT k GET store", []int{1}, true},
	{"SORT last STORE wins", "SORT k STORE a STORE b", []int{1, 5}, true},
	{"SORT_RO", "SORT_RO k BY w_* GET #", []int{1}, true},
	{"MIGRATE single key", "MIGRATE host 6379 key 0 5000 COPY", []int{3}, true},
	{"MIGRATE KEYS", "MIGRATE host 6379 '' 0 5000 COPY REPLACE KEYS a b", []int{9, 10}, true},
	{"MIGRATE AUTH keys", "MIGRATE host 6379 '' 0 5000 AUTH keys KEYS a", []int{9}, true},
	{"MIGRATE AUTH2", "MIGRATE host 6379 '' 0 5000 AUTH2 user KEYS KEYS a b", []int{10, 11}, true},
	{"MIGRATE key named keys", "MIGRATE host 6379 '' 0 5000 KEYS a keys b", []int{7, 8, 9}, true},
	{"MIGRATE KEYS with key", "MIGRATE host 6379 k 0 5000 KEYS a", nil, true},
	{"GEORADIUS", "GEORADIUS k 15 37 200 km WITHDIST", []int{1}, true},
	{"GEORADIUS STORE", "GEORADIUS k 15 37 200 km STORE dst", []int{1, 7}, true},
	{"GEORADIUS STORE STOREDIST", "GEORADIUS k 15 37 200 km STOREDIST d1 STORE d2", []int{1, 7, 9}, true},
	{"GEORADIUSBYMEMBER STOREDIST", "GEORADIUSBYMEMBER k m 100 km STOREDIST dst", []int{1, 6}, true},
	{"BLPOP", "BLPOP a b 0", []int{1, 2}, true},
	{"BZPOPMIN", "BZPOPMIN a 1.5", []int{1}, true},
	{"BLMPOP", "BLMPOP 0 2 a b LEFT", []int{3, 4}, true},
	{"LMPOP", "LMPOP 1 a RIGHT COUNT 2", []int{2}, true},
	{"LMOVE", "LMOVE src dst LEFT RIGHT", []int{1, 2}, true},
	{"LMOVE same key", "LMOVE k k LEFT RIGHT", []int{1, 2}, true},
	{"RENAME", "RENAME a b", []int{1, 2}, true},
	{"SPUBLISH", "SPUBLISH ch msg", []int{1}, true},
	{"SSUBSCRIBE", "SSUBSCRIBE a b", []int{1, 2}, true},
	{"SUBSCRIBE", "SUBSCRIBE a b", nil, true},
	{"PING", "PING", nil, true},
	{"PING msg", "PING hello", nil, true},
	{"INFO", "INFO server", nil, true},
	{"CLUSTER SLOTS", "CLUSTER SLOTS", nil, true},
	{"unknown", "NOSUCHCMD a b", nil, false},
	{"empty name", "''", nil, false},
	{"short GET", "GET", nil, true},
	{"short MEMORY USAGE", "MEMORY USAGE", nil, true},
	{"short EVAL", "EVAL", nil, true},
	{"short EVAL numkeys", "EVAL script", nil, true},
	{"short XREAD", "XREAD STREAMS", nil, true},
	{"short ZUNIONSTORE", "ZUNIONSTORE dst", []int{1}, true},
	{"short LMOVE", "LMOVE a", []int{1}, true},
	{"short MSET", "MSET", nil, true},
	{"short MIGRATE", "MIGRATE host", nil, true},
	{"short SORT", "SORT", nil, true},
	{"short BLPOP", "BLPOP a", nil, true},
	{"short GEORADIUS STORE", "GEORADIUS k 15 37 200 km STORE", []int{1}, true},
}

// splitArgs splits on spaces; an argument of two single quotes is empty.
func splitArgs(s string) []string {
	args := strings.Split(s, " ")
	for i, a := range args {
		if a == "''" {
			args[i] = ""
		}
	}
	return args
}

func TestKeyPositions(t *testing.T) {
	for _, fixture := range fixtures {
		tab := loadTables(t)[fixture]
		for _, tc := range keyCases {
			t.Run(fixture+"/"+tc.name, func(t *testing.T) {
				args := splitArgs(tc.args)
				got, ok := tab.KeyPositions(args, nil)
				if ok != tc.ok || !slices.Equal(got, tc.want) {
					t.Errorf("KeyPositions(%q) = %v, %v; want %v, %v", args, got, ok, tc.want, tc.ok)
				}
				// The positions are appended to dst.
				prefix := []int{-7}
				got, _ = tab.KeyPositions(args, prefix)
				if !slices.Equal(got, append([]int{-7}, tc.want...)) {
					t.Errorf("KeyPositions(%q, [-7]) = %v", args, got)
				}
			})
		}
	}
}

func TestKeyPositionsDoesNotAllocate(t *testing.T) {
	tab := loadTables(t)[fixtures[0]]
	dst := make([]int, 0, 16)
	for _, line := range []string{
		"GET k", "get k", "gEt k", "MSET a 1 b 2", "EVAL s 2 a b", "MEMORY USAGE k",
		"xinfo stream k", "XREAD COUNT 1 STREAMS a b 0 0", "SORT k STORE d", "SORT_RO k",
		"MIGRATE h p '' 0 5 KEYS a b", "ZUNIONSTORE d 2 a b", "LMOVE a a LEFT LEFT", "NOSUCH a",
	} {
		args := splitArgs(line)
		if n := testing.AllocsPerRun(100, func() { tab.KeyPositions(args, dst[:0]) }); n != 0 {
			t.Errorf("KeyPositions(%q) allocates %v times", line, n)
		}
	}
}

func TestParseCommandTableErrors(t *testing.T) {
	// entry returns a valid GET entry with element i replaced by v.
	entry := func(i int, v any) []any {
		e := []any{"get", int64(2), []any{"readonly"}, int64(1), int64(1), int64(1), []any{}, []any{},
			[]any{[]any{"flags", []any{"RO"}, "begin_search", []any{"type", "index", "spec", []any{"index", int64(1)}},
				"find_keys", []any{"type", "range", "spec", []any{"lastkey", int64(0), "keystep", int64(1), "limit", int64(0)}}}},
			[]any{}}
		e[i] = v
		return e
	}
	spec := func(fields ...any) []any { return entry(8, []any{fields}) }
	if _, err := ParseCommandTable([]any{entry(0, "get")}); err != nil {
		t.Fatalf("valid entry: %v", err)
	}
	for _, tc := range []struct {
		name  string
		reply any
	}{
		{"nil", nil},
		{"string", "OK"},
		{"map", map[string]any{"get": []any{}}},
		{"entry not a list", []any{"get"}},
		{"entry too short", []any{[]any{"get", int64(2), []any{}, int64(1), int64(1)}}},
		{"name not a string", []any{entry(0, int64(1))}},
		{"empty name", []any{entry(0, "")}},
		{"arity not an integer", []any{entry(1, "2")}},
		{"arity out of range", []any{entry(1, int64(1)<<40)}},
		{"flags not a list", []any{entry(2, "readonly")}},
		{"flag not a string", []any{entry(2, []any{int64(1)})}},
		{"first key not an integer", []any{entry(3, nil)}},
		{"step not an integer", []any{entry(5, 1.5)}},
		{"key specs not a list", []any{entry(8, "x")}},
		{"key spec not a list", []any{entry(8, []any{int64(1)})}},
		{"key spec odd list", []any{spec("flags")}},
		{"key spec field not a string", []any{spec(int64(1), "x")}},
		{"key spec flags not a list", []any{spec("flags", "RO")}},
		{"key spec flag not a string", []any{spec("flags", []any{int64(1)})}},
		{"begin_search not a map", []any{spec("begin_search", "index")}},
		{"begin_search type not a string", []any{spec("begin_search", []any{"type", int64(1)})}},
		{"index without index", []any{spec("begin_search", []any{"type", "index", "spec", []any{}})}},
		{"keyword without keyword", []any{spec("begin_search", map[string]any{"type": "keyword",
			"spec": map[string]any{"startfrom": int64(1)}})}},
		{"keyword without startfrom", []any{spec("begin_search", map[string]any{"type": "keyword",
			"spec": map[string]any{"keyword": "STREAMS"}})}},
		{"range without lastkey", []any{spec("find_keys", []any{"type", "range", "spec", []any{"keystep", int64(1), "limit", int64(0)}})}},
		{"keynum without firstkey", []any{spec("find_keys", []any{"type", "keynum", "spec", []any{"keynumidx", int64(0), "keystep", int64(1)}})}},
		{"spec not a map", []any{spec("find_keys", []any{"type", "range", "spec", "x"})}},
		{"subcommands not a list", []any{entry(9, "x")}},
		{"subcommand malformed", []any{entry(9, []any{[]any{"get|x"}})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := ParseCommandTable(tc.reply)
			if !errors.Is(err, ErrInvalidCommandTable) || tab != nil {
				t.Errorf("ParseCommandTable = %v, %v; want an ErrInvalidCommandTable", tab, err)
			}
		})
	}
}

func TestParseCommandTableLenient(t *testing.T) {
	// Redis 6 entries (7 elements, no key specs), unknown fields and kinds,
	// unknown flags and int values.
	reply := []any{
		[]any{"MGET", int64(-2), []any{"readonly", "fast", "future_flag"}, int64(1), int64(-1), int64(1), []any{"@read"}},
		[]any{"old", 2, nil, 1, 1, 1},
		[]any{"future", int64(-2), []any{}, int64(0), int64(0), int64(0), []any{}, []any{},
			[]any{map[string]any{"future_field": int64(1), "flags": []any{"RO", "new_flag"},
				"begin_search": map[string]any{"type": "future", "spec": map[string]any{"x": int64(1)}},
				"find_keys":    map[string]any{"type": "range", "spec": map[string]any{"lastkey": int64(0), "keystep": int64(1), "limit": int64(0)}},
			}}, nil, "more"},
	}
	tab, err := ParseCommandTable(reply)
	if err != nil {
		t.Fatal(err)
	}
	if empty, err := ParseCommandTable([]any{}); err != nil || len(empty.commands) != 0 {
		t.Errorf("empty reply: %v, %v", empty, err)
	}
	mget, ok := tab.Lookup([]string{"mget"})
	if !ok || mget.Name != "mget" || mget.Flags != FlagReadOnly|FlagFast || mget.KeySpecs != nil {
		t.Errorf("MGET = %+v", mget)
	}
	future, _ := tab.Lookup([]string{"future"})
	if s := future.KeySpecs[0]; s.Flags != KeyRO || s.BeginSearch.Type != BeginSearchUnknown {
		t.Errorf("future key spec %+v", s)
	}
	for _, tc := range []struct {
		args string
		want []int
	}{
		{"MGET a b c", []int{1, 2, 3}},
		{"MGET", nil},
		{"old k", []int{1}},
		{"future a b", nil},
	} {
		if got, _ := tab.KeyPositions(splitArgs(tc.args), nil); !slices.Equal(got, tc.want) {
			t.Errorf("KeyPositions(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestCommandTableConcurrentReads(t *testing.T) {
	tab := loadTables(t)[fixtures[0]]
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var dst []int
			for i := 0; i < 200; i++ {
				for _, tc := range keyCases {
					dst, _ = tab.KeyPositions(splitArgs(tc.args), dst[:0])
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkKeyPositions(b *testing.B) {
	tab := loadTables(b)[fixtures[0]]
	for _, line := range []string{"GET k", "gEt k", "EVAL s 2 a b x", "MEMORY USAGE k", "XREAD COUNT 2 STREAMS a b 0 0"} {
		args := splitArgs(line)
		b.Run(line, func(b *testing.B) {
			dst := make([]int, 0, 8)
			for b.Loop() {
				dst, _ = tab.KeyPositions(args, dst[:0])
			}
		})
	}
}

func FuzzKeyPositions(f *testing.F) {
	tab := loadTables(f)[fixtures[0]]
	resp3 := loadTables(f)[fixtures[1]]
	// names lists every command and subcommand, to let pick choose one.
	var names []string
	for name, info := range tab.commands {
		names = append(names, name)
		for _, sub := range info.subcommands {
			names = append(names, strings.ReplaceAll(sub.Name, "|", " "))
		}
	}
	sort.Strings(names)
	for _, tc := range keyCases {
		f.Add(uint16(0), tc.args)
	}
	f.Add(uint16(1), "a b c")
	f.Add(uint16(7), "2 a b")
	f.Fuzz(func(t *testing.T, pick uint16, line string) {
		args := strings.Split(line, " ")
		if pick != 0 {
			args = append(strings.Split(names[int(pick)%len(names)], " "), args...)
		}
		got, ok := tab.KeyPositions(args, nil)
		if _, found := tab.Lookup(args); found != ok {
			t.Fatalf("KeyPositions(%q) ok = %v, Lookup found = %v", args, ok, found)
		}
		for i, p := range got {
			if p < 1 || p >= len(args) {
				t.Fatalf("KeyPositions(%q) = %v: %d out of range", args, got, p)
			}
			if i > 0 && p <= got[i-1] {
				t.Fatalf("KeyPositions(%q) = %v: not ascending and unique", args, got)
			}
		}
		if got3, _ := resp3.KeyPositions(args, nil); !slices.Equal(got, got3) {
			t.Fatalf("KeyPositions(%q) = %v with RESP2, %v with RESP3", args, got, got3)
		}
	})
}

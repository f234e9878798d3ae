package resp

import (
	"slices"
	"testing"
)

func TestKeySpecAppendKeys(t *testing.T) {
	index := func(i int) BeginSearch { return BeginSearch{Type: BeginSearchIndex, Index: i} }
	keyword := func(k string, from int) BeginSearch {
		return BeginSearch{Type: BeginSearchKeyword, Keyword: k, StartFrom: from}
	}
	rng := func(last, step, limit int) FindKeys {
		return FindKeys{Type: FindKeysRange, LastKey: last, KeyStep: step, Limit: limit}
	}
	keynum := func(idx, first, step int) FindKeys {
		return FindKeys{Type: FindKeysKeyNum, KeyNumIdx: idx, FirstKey: first, KeyStep: step}
	}
	for _, tc := range []struct {
		name string
		bs   BeginSearch
		fk   FindKeys
		args string
		want []int
	}{
		{"index single", index(1), rng(0, 1, 0), "c k", []int{1}},
		{"index past the end", index(2), rng(0, 1, 0), "c k", nil},
		{"index zero", index(0), rng(0, 1, 0), "c k", nil},
		{"range to the end", index(1), rng(-1, 1, 0), "c a b c", []int{1, 2, 3}},
		{"range to before last", index(1), rng(-2, 1, 0), "c a b 0", []int{1, 2}},
		{"range step 2", index(1), rng(-1, 2, 0), "c k1 v1 k2 v2", []int{1, 3}},
		{"range step 2 odd", index(1), rng(-1, 2, 0), "c k1 v1 k2", []int{1, 3}},
		{"range fixed count", index(1), rng(1, 1, 0), "c a b c", []int{1, 2}},
		{"range fixed count past the end", index(1), rng(2, 1, 0), "c a b", nil},
		{"range step 0", index(1), rng(1, 0, 0), "c a b", []int{1, 2}},
		{"range huge step", index(1), rng(-1, 1<<30, 0), "c a b c", []int{1}},
		{"range limit 2", index(1), rng(-1, 1, 2), "c a b 1 2", []int{1, 2}},
		{"range limit 1", index(1), rng(-1, 1, 1), "c a b", []int{1, 2}},
		{"range limit 2 nothing", index(2), rng(-1, 1, 2), "c a b", nil},
		{"keyword forward", keyword("STREAMS", 1), rng(-1, 1, 2), "c COUNT 1 streams a b 0 0", []int{4, 5}},
		{"keyword forward from", keyword("K", 2), rng(0, 1, 0), "c K x K y", []int{4}},
		{"keyword last argument", keyword("K", 1), rng(0, 1, 0), "c x K", nil},
		{"keyword missing", keyword("K", 1), rng(0, 1, 0), "c x y", nil},
		{"keyword start past the end", keyword("K", 5), rng(0, 1, 0), "c K x", nil},
		{"keyword backward", keyword("KEYS", -2), rng(-1, 1, 0), "c h p '' 0 5 KEYS a b", []int{7, 8}},
		{"keyword backward finds the last", keyword("KEYS", -2), rng(-1, 1, 0), "c h KEYS x KEYS a b", []int{5, 6}},
		{"keyword backward skips args[1]", keyword("K", -1), rng(0, 1, 0), "c K a", nil},
		{"keyword backward too far", keyword("K", -9), rng(0, 1, 0), "c x K a", nil},
		{"keyword startfrom 0", keyword("K", 0), rng(0, 1, 0), "c K a", nil},
		{"keyword non-ASCII fold", keyword("K", 1), rng(0, 1, 0), "c \u212a a", nil},
		{"keynum", index(2), keynum(0, 1, 1), "c s 2 a b x", []int{3, 4}},
		{"keynum zero", index(2), keynum(0, 1, 1), "c s 0 x", nil},
		{"keynum too big", index(2), keynum(0, 1, 1), "c s 3 a b", nil},
		{"keynum huge", index(2), keynum(0, 1, 1), "c s 99999999999999999999 a", nil},
		{"keynum sign", index(2), keynum(0, 1, 1), "c s +1 a", nil},
		{"keynum empty", index(2), keynum(0, 1, 1), "c s '' a", nil},
		{"keynum missing", index(2), keynum(0, 1, 1), "c s", nil},
		{"keynum index past the end", index(1), keynum(5, 1, 1), "c 1 a", nil},
		{"keynum step 2", index(1), keynum(0, 1, 2), "c 4 a 1 b 2", []int{2, 4}},
		{"keynum negative firstkey", index(2), keynum(0, -5, 1), "c s 1 a", nil},
		{"keynum after keyword", keyword("KEYS", 1), keynum(0, 1, 1), "c x KEYS 2 a b", []int{4, 5}},
		{"unknown begin", BeginSearch{}, rng(0, 1, 0), "c k", nil},
		{"unknown find", index(1), FindKeys{}, "c k", nil},
		{"no args", index(1), rng(0, 1, 0), "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := KeySpec{BeginSearch: tc.bs, FindKeys: tc.fk}
			args := splitArgs(tc.args)
			if tc.args == "" {
				args = nil
			}
			if got := s.appendKeys(args, nil); !slices.Equal(got, tc.want) {
				t.Errorf("appendKeys(%q) = %v, want %v", args, got, tc.want)
			}
		})
	}
}

func TestKeyPositionsMergesSpecs(t *testing.T) {
	rangeSpec := func(flags []any, index int64) []any {
		return []any{"flags", flags,
			"begin_search", []any{"type", "index", "spec", []any{"index", index}},
			"find_keys", []any{"type", "range", "spec", []any{"lastkey", int64(0), "keystep", int64(1), "limit", int64(0)}}}
	}
	unknown := []any{"flags", []any{"RO"},
		"begin_search", []any{"type", "unknown", "spec", []any{}},
		"find_keys", []any{"type", "unknown", "spec", []any{}}}
	cmd := func(name string, first, last, step int64, specs ...any) []any {
		return []any{name, int64(-2), []any{}, first, last, step, []any{}, []any{}, specs, []any{}}
	}
	tab, err := ParseCommandTable([]any{
		// Two specs naming the same key.
		cmd("dup", 1, 1, 1, rangeSpec([]any{"RW"}, 1), rangeSpec([]any{"RO"}, 1)),
		// Specs listed out of order.
		cmd("rev", 1, 2, 1, rangeSpec([]any{"OW"}, 2), rangeSpec([]any{"RO"}, 1)),
		// An unknown spec: the legacy range adds the keys it gives.
		cmd("legacy", 1, -1, 1, rangeSpec([]any{"RO"}, 1), unknown),
		// An incomplete spec: its keys and the legacy ones.
		cmd("incomplete", 2, 2, 1, rangeSpec([]any{"RO", "incomplete"}, 1)),
		// An unknown spec without legacy keys.
		cmd("none", 0, 0, 0, unknown),
		// The key specs of SORT and MIGRATE can't be trusted: these ones are.
		cmd("sort", 1, 1, 1, rangeSpec([]any{"RO"}, 1)),
		cmd("migrate", 3, 3, 1, rangeSpec([]any{"RW"}, 3)),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args string
		want []int
	}{
		{"dup a", []int{1}},
		{"dup", nil},
		{"rev a b", []int{1, 2}},
		{"rev a", []int{1}},
		{"legacy a b c", []int{1, 2, 3}},
		{"incomplete a b", []int{1, 2}},
		{"incomplete a", []int{1}},
		{"none a b", nil},
		{"sort k STORE d", []int{1}},
		{"migrate h p '' 0 5 KEYS a", []int{3}},
	} {
		if got, ok := tab.KeyPositions(splitArgs(tc.args), nil); !ok || !slices.Equal(got, tc.want) {
			t.Errorf("KeyPositions(%q) = %v, %v; want %v", tc.args, got, ok, tc.want)
		}
	}
}

package actors

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/redactor-go/redactor/internal/wire"
	"github.com/redactor-go/redactor/resp"
)

// part is one node's copy of a fanned-out command, or one slot's part of
// a split command (split.go).
type part struct {
	cmd  int    // the command's position in Exec.Commands
	addr string // the node it runs on (last sent to, for a split part)
	// args, for a part of a split command, is the part's own command: the
	// name and the keys of one slot with their values; nil for a copy of
	// the whole command.
	args []string
	// slot is a split part's slot; ords are the ordinals (0 for the first)
	// of the command's keys it carries, in order; nil for a copy.
	slot   int
	ords   []int
	result Result
}

// fan is a command run on several nodes (DBSIZE on every master, SCRIPT
// LOAD on every node, WAIT where the pipeline wrote) or split by slot
// (MGET): its parts, and how their replies merge into its Result.
type fan struct {
	cmd         int
	first, n    int // parts[first : first+n]
	policy      resp.ResponsePolicy
	keys        keyLayout // where a split command's keys lie; zero for copies
	emptyResult Result    // the Result when there are no parts
}

// addPart adds a part of command i on the node at addr and returns its
// batch position.
func (e *Exec) addPart(i int, addr string) int {
	e.parts = append(e.parts, part{cmd: i, addr: addr})
	return len(e.Commands) + len(e.parts) - 1
}

// mergeFans sets the Result of every fanned-out or split command from its
// parts.
func (e *Exec) mergeFans() {
	for _, f := range e.fans {
		if f.n == 0 {
			e.Results[f.cmd] = f.emptyResult
			continue
		}
		e.Results[f.cmd] = mergeParts(e.Commands[f.cmd], e.parts[f.first:f.first+f.n], f.policy, f.keys)
	}
}

// mergeParts merges the replies of a command's parts by its response
// policy; keys is where a split command's keys lie (zero for copies of a
// fanned-out command). A part whose outcome is unknown makes the whole
// outcome unknown; other failures are named with their node, or with
// their keys for a split command's parts. When a part failed, the merged
// Result has no Value: a partial count is not the command's.
func mergeParts(args []string, parts []part, policy resp.ResponsePolicy, keys keyLayout) Result {
	m := merger{name: strings.ToUpper(commandName(args)), args: args, keys: keys}
	for _, p := range parts {
		if p.result.Err != nil && errors.Is(p.result.Err, ErrUnknownOutcome) {
			return Result{Err: m.partErr(p)}
		}
	}
	if policy == resp.ResponseOneSucceeded {
		for _, p := range parts {
			if p.result.Err == nil {
				return p.result
			}
		}
		return Result{Err: m.partErr(parts[0])}
	}
	var failed []error
	for _, p := range parts {
		if p.result.Err != nil {
			failed = append(failed, m.partErr(p))
		}
	}
	if len(failed) > 0 {
		return Result{Err: errors.Join(failed...)}
	}
	switch policy {
	case resp.ResponseAllSucceeded:
		return parts[0].result
	case resp.ResponseAggSum, resp.ResponseAggMin, resp.ResponseAggMax:
		return m.ints(parts, policy)
	case resp.ResponseAggLogicalAnd, resp.ResponseAggLogicalOr:
		return m.logical(parts, policy == resp.ResponseAggLogicalAnd)
	case resp.ResponseSpecial:
		byNode := make(map[string]any, len(parts))
		for _, p := range parts {
			byNode[p.addr] = p.result.Value
		}
		return Result{Value: byNode}
	}
	if keys.step > 0 {
		return m.byKey(parts)
	}
	return mergeDefault(parts)
}

// merger merges the parts of one command.
type merger struct {
	name string // the command's name, for errors
	args []string
	keys keyLayout
}

// partErr is the error of a failed part, naming where it ran.
func (m *merger) partErr(p part) error {
	return wire.Chain(fmt.Errorf("redactor: %s %s", m.name, m.where(p)), p.result.Err)
}

// where names a part: its node, or a split part's keys.
func (m *merger) where(p part) string {
	if p.ords == nil {
		return "on " + p.addr
	}
	return "part of keys " + keyList(m.args, m.keys, p.ords)
}

// ints sums, or takes the least or greatest of, integer replies.
func (m *merger) ints(parts []part, policy resp.ResponsePolicy) Result {
	var acc int64
	for k, p := range parts {
		n, ok := p.result.Value.(int64)
		if !ok {
			return Result{Err: fmt.Errorf("redactor: %s %s: reply %T, want an integer to merge", m.name, m.where(p), p.result.Value)}
		}
		switch {
		case k == 0:
			acc = n
		case policy == resp.ResponseAggSum:
			acc += n
		case policy == resp.ResponseAggMin:
			acc = min(acc, n)
		default:
			acc = max(acc, n)
		}
	}
	return Result{Value: acc}
}

// logical ANDs or ORs integer (0/1) replies, element by element for
// arrays (SCRIPT EXISTS).
func (m *merger) logical(parts []part, and bool) Result {
	combine := func(a, b int64) int64 {
		if and {
			return boolInt(a != 0 && b != 0)
		}
		return boolInt(a != 0 || b != 0)
	}
	switch first := parts[0].result.Value.(type) {
	case int64:
		acc := first
		for _, p := range parts[1:] {
			n, ok := p.result.Value.(int64)
			if !ok {
				return Result{Err: fmt.Errorf("redactor: %s %s: reply %T, want an integer", m.name, m.where(p), p.result.Value)}
			}
			acc = combine(acc, n)
		}
		return Result{Value: acc}
	case []any:
		acc := make([]any, len(first))
		copy(acc, first)
		for _, p := range parts[1:] {
			arr, ok := p.result.Value.([]any)
			if !ok || len(arr) != len(acc) {
				return Result{Err: fmt.Errorf("redactor: %s %s: replies of different shapes", m.name, m.where(p))}
			}
			for k := range acc {
				a, ok1 := acc[k].(int64)
				b, ok2 := arr[k].(int64)
				if !ok1 || !ok2 {
					return Result{Err: fmt.Errorf("redactor: %s %s: element %d is not an integer", m.name, m.where(p), k)}
				}
				acc[k] = combine(a, b)
			}
		}
		return Result{Value: acc}
	}
	return Result{Err: fmt.Errorf("redactor: %s: reply %T cannot be merged logically", m.name, parts[0].result.Value)}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// mergeDefault concatenates array replies and merges map replies (KEYS);
// other replies are taken from the first node.
func mergeDefault(parts []part) Result {
	switch parts[0].result.Value.(type) {
	case []any:
		total := 0
		for _, p := range parts {
			arr, ok := p.result.Value.([]any)
			if !ok {
				return parts[0].result
			}
			total += len(arr)
		}
		all := make([]any, 0, total)
		for _, p := range parts {
			all = append(all, p.result.Value.([]any)...)
		}
		return Result{Value: all}
	case map[string]any:
		all := map[string]any{}
		for _, p := range parts {
			m, ok := p.result.Value.(map[string]any)
			if !ok {
				return parts[0].result
			}
			maps.Copy(all, m)
		}
		return Result{Value: all}
	}
	return parts[0].result
}

package actors

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/redactor-go/redactor/resp"
)

// part is one node's copy of a fanned-out command.
type part struct {
	cmd    int    // the command's position in Exec.Commands
	addr   string // the node it runs on
	result Result
}

// fan is a command run on several nodes (DBSIZE on every master, SCRIPT
// LOAD on every node, WAIT where the pipeline wrote): its parts, and how
// their replies merge into its Result.
type fan struct {
	cmd         int
	first, n    int // parts[first : first+n]
	policy      resp.ResponsePolicy
	emptyResult Result // the Result when there are no parts
}

// addPart adds a part of command i on the node at addr and returns its
// batch position.
func (e *Exec) addPart(i int, addr string) int {
	e.parts = append(e.parts, part{cmd: i, addr: addr})
	return len(e.Commands) + len(e.parts) - 1
}

// mergeFans sets the Result of every fanned-out command from its parts.
func (e *Exec) mergeFans() {
	for _, f := range e.fans {
		if f.n == 0 {
			e.Results[f.cmd] = f.emptyResult
			continue
		}
		e.Results[f.cmd] = mergeParts(e.Commands[f.cmd], e.parts[f.first:f.first+f.n], f.policy)
	}
}

// mergeParts merges the replies of a command's parts by its response
// policy. A part whose outcome is unknown makes the whole outcome unknown;
// other failures are named with their node.
func mergeParts(args []string, parts []part, policy resp.ResponsePolicy) Result {
	name := strings.ToUpper(commandName(args))
	partErr := func(p part) error {
		return fmt.Errorf("redactor: %s on %s: %w", name, p.addr, p.result.Err)
	}
	for _, p := range parts {
		if p.result.Err != nil && errors.Is(p.result.Err, ErrUnknownOutcome) {
			return Result{Err: partErr(p)}
		}
	}
	if policy == resp.ResponseOneSucceeded {
		for _, p := range parts {
			if p.result.Err == nil {
				return p.result
			}
		}
		return Result{Err: partErr(parts[0])}
	}
	var failed []error
	for _, p := range parts {
		if p.result.Err != nil {
			failed = append(failed, partErr(p))
		}
	}
	if len(failed) > 0 {
		return Result{Err: errors.Join(failed...)}
	}
	switch policy {
	case resp.ResponseAllSucceeded:
		return parts[0].result
	case resp.ResponseAggSum, resp.ResponseAggMin, resp.ResponseAggMax:
		return mergeInts(name, parts, policy)
	case resp.ResponseAggLogicalAnd, resp.ResponseAggLogicalOr:
		return mergeLogical(name, parts, policy == resp.ResponseAggLogicalAnd)
	case resp.ResponseSpecial:
		byNode := make(map[string]any, len(parts))
		for _, p := range parts {
			byNode[p.addr] = p.result.Value
		}
		return Result{Value: byNode}
	}
	return mergeDefault(parts)
}

// mergeInts sums, or takes the least or greatest of, integer replies.
func mergeInts(name string, parts []part, policy resp.ResponsePolicy) Result {
	var acc int64
	for k, p := range parts {
		n, ok := p.result.Value.(int64)
		if !ok {
			return Result{Err: fmt.Errorf("redactor: %s on %s: reply %T, want an integer to merge", name, p.addr, p.result.Value)}
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

// mergeLogical ANDs or ORs integer (0/1) replies, element by element for
// arrays (SCRIPT EXISTS).
func mergeLogical(name string, parts []part, and bool) Result {
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
				return Result{Err: fmt.Errorf("redactor: %s on %s: reply %T, want an integer", name, p.addr, p.result.Value)}
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
				return Result{Err: fmt.Errorf("redactor: %s on %s: replies of different shapes", name, p.addr)}
			}
			for k := range acc {
				a, ok1 := acc[k].(int64)
				b, ok2 := arr[k].(int64)
				if !ok1 || !ok2 {
					return Result{Err: fmt.Errorf("redactor: %s on %s: element %d is not an integer", name, p.addr, k)}
				}
				acc[k] = combine(a, b)
			}
		}
		return Result{Value: acc}
	}
	return Result{Err: fmt.Errorf("redactor: %s: reply %T cannot be merged logically", name, parts[0].result.Value)}
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

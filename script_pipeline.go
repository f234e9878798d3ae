package redactor

import (
	"context"
	"strconv"

	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/resp"
)

// queuedScript is a call of a script in a pipeline's queue.
type queuedScript struct {
	script *Script
	// at is the call's position in the queue.
	at int
	// addr is the node the call was planned for, and byHash whether it
	// went as EVALSHA (see Script.plan).
	addr   string
	byHash bool
}

// Run queues one call of s with keys and args, as Script.Run runs it
// alone; its Result is in its place among the pipeline's. Exec decides
// whether it goes as EVALSHA or EVAL, and sends it again as EVAL, after
// the pipeline's other commands, if a node lost the script (see Script).
// In a WithTx pipeline, or between a MULTI and its EXEC, it always goes as
// EVAL. The keys and arguments are copied.
func (p *Pipeline) Run(s *Script, keys []string, args ...string) {
	if p.q == nil {
		p.q = getQueue()
	}
	q := p.q
	q.scripts = append(q.scripts, queuedScript{script: s, at: len(q.cmds)})
	q.room(3 + len(keys) + len(args))
	start := len(q.args)
	q.args = append(q.args, s.byHash, s.hash, strconv.Itoa(len(keys)))
	q.args = append(q.args, keys...)
	q.args = append(q.args, args...)
	q.push(q.args[start:len(q.args):len(q.args)])
}

// planScripts decides, before Exec sends q, how each queued call of a
// script goes: its command stays EVALSHA, or becomes EVAL with the body.
func (p *Pipeline) planScripts(ctx context.Context, q *queue) {
	var table *resp.CommandTable
	if routes := p.client.routes.Load(); routes != nil {
		table = routes.Commands
	}
	inMulti := false
	next := 0 // the next command to look at for MULTI and EXEC
	for k := range q.scripts {
		sc := &q.scripts[k]
		for ; next < sc.at && table != nil; next++ {
			if info, ok := table.Lookup(q.cmds[next]); ok {
				switch info.Class {
				case resp.ClassMulti:
					inMulti = true
				case resp.ClassExec:
					inMulti = false
				}
			}
		}
		cmd := q.cmds[sc.at]
		nkeys, _ := strconv.Atoi(cmd[2])
		keys := cmd[3 : 3+nkeys]
		switch {
		case p.tx:
			// A NOSCRIPT inside EXEC could not be re-sent. WithTx
			// unpacks EXEC's reply, so the call's Result is its run.
			sc.addr, sc.byHash = target(p.client, p.node, keys), false
		case inMulti:
			// As above; its own Result is only QUEUED, so it teaches
			// nothing about the node (no addr).
			sc.addr, sc.byHash = "", false
		default:
			sc.addr, sc.byHash = sc.script.plan(ctx, p.client, p.node, keys)
		}
		if !sc.byHash {
			cmd[0], cmd[1] = sc.script.bySrc, sc.script.src
		}
	}
}

// settleScripts learns from the results of the queued calls of scripts,
// and sends those that got NOSCRIPT again, as EVAL, in one more pipeline
// of their own (in queue order, in the same mode and on the same node),
// putting their Results in place of the NOSCRIPT.
func (p *Pipeline) settleScripts(ctx context.Context, q *queue, results []Result) {
	var again []int // into q.scripts
	for k, sc := range q.scripts {
		if sc.script.settle(sc.addr, sc.byHash, results[sc.at]) {
			again = append(again, k)
		}
	}
	if len(again) == 0 {
		return
	}
	cmds := make([][]string, len(again))
	for j, k := range again {
		sc := q.scripts[k]
		// A command of its own: q is recycled after Exec, and the
		// coordinator may still read these after a canceled ctx.
		cmds[j] = append([]string{sc.script.bySrc, sc.script.src}, q.cmds[sc.at][2:]...)
	}
	e := &actors.Exec{Commands: cmds, Mode: p.mode, Node: p.node}
	fallback, _, err := p.client.exec(ctx, e, make(chan *actors.Exec, 1), false)
	for j, k := range again {
		sc := q.scripts[k]
		if err != nil {
			if fallback != nil {
				results[sc.at] = fallback[j]
			} else {
				results[sc.at] = Result{Err: err}
			}
			continue
		}
		results[sc.at] = fallback[j]
		// Where it ran by the layout now: a MOVED may have come first.
		cmd := cmds[j]
		nkeys, _ := strconv.Atoi(cmd[2])
		sc.script.settle(target(p.client, p.node, cmd[3:3+nkeys]), false, fallback[j])
	}
}

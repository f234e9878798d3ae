package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/redactor-go/redactor"
)

const (
	// workers is how many goroutines run pipelines at once.
	workers = 4
	// keysPerWorker is how many keys each worker INCRs and GETs in each
	// pipeline: 100 commands.
	keysPerWorker = 50
	// pipelineTimeout bounds one pipeline.
	pipelineTimeout = 10 * time.Second
)

// load runs pipelines of INCR and GET on each worker's own keys and checks
// every reply against the count the worker expects.
type load struct {
	c    *redactor.Client
	out  *printer
	keys []string // worker i owns keys[i*keysPerWorker:][:keysPerWorker]

	done chan struct{}
	wg   sync.WaitGroup

	mu        sync.Mutex
	pipelines int
	commands  int
	failures  map[string]int // failed commands by error
	wrong     []string       // replies that did not match, the first ones
	wrongN    int
	counts    map[string]int64 // each key's count as its last INCR returned; absent when unknown
}

func newLoad(c *redactor.Client, out *printer) *load {
	l := &load{c: c, out: out, done: make(chan struct{}), failures: map[string]int{}, counts: map[string]int64{}}
	for i := range workers * keysPerWorker {
		l.keys = append(l.keys, fmt.Sprintf("resharding-example:%d", i))
	}
	return l
}

// start clears the keys and starts the workers.
func (l *load) start(ctx context.Context) error {
	if r := l.c.Do(ctx, "DEL", l.keys...); r.Err != nil {
		return r.Err
	}
	l.out.printf("load: %d goroutines running pipelines of %d commands (INCR and GET of %d keys), checking every reply",
		workers, 2*keysPerWorker, keysPerWorker)
	for w := range workers {
		keys := l.keys[w*keysPerWorker:][:keysPerWorker]
		l.wg.Go(func() { l.work(ctx, keys) })
	}
	return nil
}

// stop stops the workers and waits for them.
func (l *load) stop() {
	close(l.done)
	l.wg.Wait()
}

// work runs pipelines over keys until stop.
func (l *load) work(ctx context.Context, keys []string) {
	want := make(map[string]int64, len(keys)) // absent: unknown
	for _, k := range keys {
		want[k] = 0
	}
	for {
		select {
		case <-l.done:
			l.mu.Lock()
			maps.Copy(l.counts, want)
			l.mu.Unlock()
			return
		default:
		}
		p := l.c.Pipeline()
		for _, k := range keys {
			p.Do("INCR", k)
			p.Do("GET", k)
		}
		pctx, cancel := context.WithTimeout(ctx, pipelineTimeout)
		results, err := p.Exec(pctx)
		cancel()
		l.mu.Lock()
		l.pipelines++
		if err != nil { // the pipeline as a whole: every command's outcome is unknown
			l.failures["pipeline: "+errKind(err)] += 2 * len(keys)
			clear(want)
		}
		for i, k := range keys {
			if err != nil {
				break
			}
			l.commands += 2
			l.check(k, results[2*i], results[2*i+1], want)
		}
		l.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// check checks one key's INCR and GET and updates want; l.mu is held.
func (l *load) check(k string, incr, get redactor.Result, want map[string]int64) {
	n, err := incr.Int64()
	if err != nil {
		l.failures["INCR: "+errKind(err)]++
		delete(want, k) // it may or may not have run
	} else {
		if prev, known := want[k]; known && n != prev+1 {
			l.mismatch("INCR %s returned %d after %d", k, n, prev)
		}
		want[k] = n
	}
	g, err := get.Int64()
	switch {
	case err != nil:
		l.failures["GET: "+errKind(err)]++
	case incr.Err == nil && g != n:
		l.mismatch("GET %s returned %d after INCR returned %d", k, g, n)
	}
}

func (l *load) mismatch(format string, args ...any) {
	l.wrongN++
	if len(l.wrong) < 5 {
		l.wrong = append(l.wrong, fmt.Sprintf(format, args...))
	}
}

// report prints what the load did, checks that every key holds the count
// its last INCR returned, deletes the keys, and fails when a command failed
// or a value was wrong.
func (l *load) report(ctx context.Context) error {
	failed := 0
	for _, n := range l.failures {
		failed += n
	}
	w := l.out.w
	fmt.Fprintf(w, "pipelines: %d (%d commands), failed commands: %d, wrong values: %d\n", l.pipelines, l.commands, failed, l.wrongN)
	for _, kind := range slices.Sorted(maps.Keys(l.failures)) {
		fmt.Fprintf(w, "  %d failed with %s\n", l.failures[kind], kind)
	}
	for _, s := range l.wrong {
		fmt.Fprintf(w, "  wrong: %s\n", s)
	}

	p := l.c.Pipeline()
	for _, k := range l.keys {
		p.Do("GET", k)
	}
	results, err := p.Exec(ctx)
	if err != nil {
		return err
	}
	checked, bad := 0, 0
	for i, k := range l.keys {
		want, known := l.counts[k]
		if !known {
			continue
		}
		checked++
		if got, err := results[i].Int64(); err != nil || got != want {
			bad++
		}
	}
	fmt.Fprintf(w, "final check: %d of %d keys hold the count their last INCR returned\n", checked-bad, checked)
	if unknown := len(l.keys) - checked; unknown > 0 {
		fmt.Fprintf(w, "  %d keys unchecked: their last INCR failed\n", unknown)
	}
	if r := l.c.Do(ctx, "DEL", l.keys...); r.Err != nil {
		return r.Err
	}
	if failed > 0 || l.wrongN > 0 || bad > 0 {
		return fmt.Errorf("%d failed commands, %d wrong values, %d keys with a wrong final count", failed, l.wrongN, bad)
	}
	return nil
}

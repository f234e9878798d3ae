package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// The runners give the clients turns, round-robin, with the order rotated
// every round, until each has had about budget of wall time. Machine noise
// (the other processes, the redis-servers, the GC of a previous turn) so
// falls on every client alike, and all numbers of a table come from the same
// run.

// sequentialRun describes a workload of one caller: one call at a time.
type sequentialRun struct {
	budget time.Duration // wall time per client
	// slice is the length of a turn: 0 for a single call per turn (the
	// finest interleaving), otherwise calls are made until the turn has
	// lasted slice (at least one), which keeps a turn's CPU time (GC
	// included) with the client that caused it.
	slice time.Duration
	// ops returns the commands of the next call, made before its timing.
	ops func(rng *rand.Rand) []op
}

// run runs the workload on every client and returns one recorder each.
func (s sequentialRun) run(ctx context.Context, cs []client) ([]*recorder, error) {
	recs := make([]*recorder, len(cs))
	for i := range recs {
		recs[i] = &recorder{}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	for round := 0; round == 0 || time.Since(start) < s.budget*time.Duration(len(cs)); round++ {
		for k := range cs {
			i := (round + k) % len(cs)
			if err := s.turn(ctx, cs[i], recs[i], rng); err != nil {
				return nil, err
			}
		}
	}
	return recs, nil
}

// turn gives client c one turn.
func (s sequentialRun) turn(ctx context.Context, c client, rec *recorder, rng *rand.Rand) error {
	turnStart, cpu0 := time.Now(), cpuTime()
	var busy time.Duration
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ops := s.ops(rng)
		t0 := time.Now()
		if err := c.pipeline(ctx, ops); err != nil {
			return err
		}
		d := time.Since(t0)
		busy += d
		rec.latencies = append(rec.latencies, d)
		rec.commands += int64(len(ops))
		if time.Since(turnStart) >= s.slice {
			break
		}
	}
	rec.cpu += cpuTime() - cpu0
	rec.elapsed += busy
	return nil
}

// concurrentRun describes a workload of many goroutines calling at once.
type concurrentRun struct {
	budget     time.Duration // wall time per client
	slice      time.Duration // length of a turn
	goroutines int
	// call makes one call on c from goroutine g and returns the number of
	// commands it ran.
	call func(ctx context.Context, c client, rng *rand.Rand, g int) (int, error)
	// beside, when set, runs in a loop on a goroutine of its own during
	// each turn, untimed (the head-of-line workload's writer).
	beside func(ctx context.Context, c client) error
}

// run runs the workload on every client and returns one recorder each.
func (w concurrentRun) run(ctx context.Context, cs []client) ([]*recorder, error) {
	recs := make([]*recorder, len(cs))
	for i := range recs {
		recs[i] = &recorder{}
	}
	rounds := max(1, int((w.budget+w.slice/2)/w.slice))
	for round := range rounds {
		for k := range cs {
			i := (round + k) % len(cs)
			if err := w.turn(ctx, cs[i], recs[i], uint64(round*len(cs)+k)); err != nil {
				return nil, err
			}
		}
	}
	return recs, nil
}

// turn lets w.goroutines goroutines call c until the slice is over, and
// waits for their last calls.
func (w concurrentRun) turn(ctx context.Context, c client, rec *recorder, seed uint64) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	parts := make([]recorder, w.goroutines)
	var wg sync.WaitGroup
	start, cpu0, alloc0 := time.Now(), cpuTime(), allocated()
	end := start.Add(w.slice)
	stopBeside := make(chan struct{})
	waitBeside := func() error { return nil }
	if w.beside != nil {
		waitBeside = besideLoop(ctx, stopBeside, func(ctx context.Context) error { return w.beside(ctx, c) })
	}
	for g := range parts {
		wg.Go(func() {
			part := &parts[g]
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			for ctx.Err() == nil && time.Now().Before(end) {
				t0 := time.Now()
				n, err := w.call(ctx, c, rng, g)
				if err != nil {
					cancel(err)
					return
				}
				part.latencies = append(part.latencies, time.Since(t0))
				part.commands += int64(n)
			}
		})
	}
	wg.Wait()
	close(stopBeside)
	if err := waitBeside(); err != nil {
		cancel(err)
	}
	rec.elapsed += time.Since(start)
	rec.cpu += cpuTime() - cpu0
	rec.allocated += allocated() - alloc0
	if err := context.Cause(ctx); err != nil {
		return err
	}
	for g := range parts {
		rec.add(&parts[g])
	}
	return nil
}

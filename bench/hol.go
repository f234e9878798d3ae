package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// The head-of-line workload: while one goroutine writes 10 MB values to a
// master, other goroutines run single GETs of small keys on the same
// master; what counts is their p99.

const (
	// holValue is the size of the large values the writer SETs.
	holValue = 10 << 20
	// holReaders are the goroutines of small commands.
	holReaders = 16
)

// holKeys are keys that share one slot (so one master): the large one and
// the small ones.
const (
	holBigKey   = "{hol}:big"
	holSmallKey = "{hol}:small"
)

// hol runs the head-of-line workload, interleaved.
func (b *bench) hol(ctx context.Context, e *env, cs *clients) error {
	base := measurement{workload: "hol", setting: fmt.Sprintf("1 writer of %s values, %d readers", byteSize(holValue), holReaders),
		masters: e.masters(), pipeline: 1, goroutines: holReaders + 1}
	var err error
	if base.rtt, err = e.rtt(ctx, rttSamples); err != nil {
		return err
	}
	logf("hol: %s", base.setting)
	big := strings.Repeat("x", holValue)
	list := cs.only(nameRedactor, nameGoRedis, nameGoRedisTuned, nameRueidis)
	for _, c := range list {
		if err := c.do(ctx, op{set: true, key: holSmallKey}); err != nil {
			return err
		}
	}
	run := concurrentRun{
		budget: b.cfg.duration, slice: concurrentSlice, goroutines: holReaders,
		call: func(ctx context.Context, c client, rng *rand.Rand, g int) (int, error) {
			return 1, c.do(ctx, op{key: holSmallKey})
		},
	}
	// The writer runs beside the readers for each client's turns.
	run.beside = func(ctx context.Context, c client) error {
		return c.do(ctx, op{set: true, key: holBigKey, value: big})
	}
	recs, err := run.run(ctx, list)
	if err != nil {
		return err
	}
	b.record(base, list, recs)
	return nil
}

// besideLoop calls f in a loop until stop, and returns its first error.
func besideLoop(ctx context.Context, stop <-chan struct{}, f func(context.Context) error) func() error {
	var wg sync.WaitGroup
	var err error
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if e := f(ctx); e != nil {
				err = e
				return
			}
			time.Sleep(0)
		}
	})
	return func() error {
		wg.Wait()
		return err
	}
}

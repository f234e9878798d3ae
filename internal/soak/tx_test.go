//go:build soak

package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redactor-go/redactor"
)

// txPairs is how many pairs of keys the transactions use, on as many slots.
const txPairs = 16

// tx increments two keys of one slot in a transaction (WithTx) and reads
// them back in another: both INCR replies of a transaction are equal, and
// so are both values read, whatever failed (a transaction runs whole or not
// at all, and a crash failover loses it whole).
type tx struct {
	c      *redactor.Client
	counts *counts
}

func (x *tx) work(ctx context.Context, stop <-chan struct{}, rng *rand.Rand) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		i := rng.IntN(txPairs)
		a, b := fmt.Sprintf("soak:tx:{%d}:a", i), fmt.Sprintf("soak:tx:{%d}:b", i)
		cmd := "INCR"
		if rng.IntN(2) == 0 {
			cmd = "GET"
		}
		p := x.c.Pipeline(redactor.WithTx())
		p.Do(cmd, a)
		p.Do(cmd, b)
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		results, err := p.Exec(pctx)
		cancel()
		if err != nil {
			x.counts.failed(cmd+" transaction", err)
			continue
		}
		if results[0].Err != nil || results[1].Err != nil {
			x.counts.failed(cmd, errorOf(results[0].Err, results[1].Err))
			continue
		}
		x.counts.op(1)
		if fmt.Sprint(results[0].Value) != fmt.Sprint(results[1].Value) {
			x.counts.wrongf("%s %s, %s in a transaction: %v, %v", cmd, a, b, short(results[0].Value), short(results[1].Value))
		}
	}
}

// errorOf returns the first error that is not nil.
func errorOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

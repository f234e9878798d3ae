//go:build soak

package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redactor-go/redactor"
)

// lists are the lists of the blocking load, on different slots.
var lists = []string{"soak:list:{a}", "soak:list:{b}", "soak:list:{c}", "soak:list:{d}", "soak:list:{e}", "soak:list:{f}"}

// blocking has producers RPUSH numbered items to lists and consumers BLPOP
// them. No item may be popped twice, and at the end every item an RPUSH
// acknowledged was popped or is still in its list, but for those a crash
// failover took (pushed, or popped, within the crash window of a kill of
// the list's master) and as many as there were BLPOPs of that list whose
// outcome is unknown (they may have popped an item, lost with the reply).
type blocking struct {
	c       *redactor.Client
	crashes *crashLog
	counts  *counts

	mu       sync.Mutex
	sent     map[string]bool // items an RPUSH was sent for
	pushed   map[string]span // acknowledged items, and when their RPUSH ran
	maybe    map[string]bool // items whose RPUSH outcome is unknown
	notRun   map[string]bool // items whose RPUSH failed with an error that says it did not run
	popped   map[string]span // items popped, and when their BLPOP ran
	unknowns map[string]int  // per list, BLPOPs whose outcome is unknown
	seq      int
}

// span is when a call ran.
type span struct{ begin, end time.Time }

func (b *blocking) init() {
	b.sent, b.pushed, b.maybe, b.notRun = map[string]bool{}, map[string]span{}, map[string]bool{}, map[string]bool{}
	b.popped, b.unknowns = map[string]span{}, map[string]int{}
}

// produce pushes an item every 3 ms until stop.
func (b *blocking) produce(ctx context.Context, stop <-chan struct{}, rng *rand.Rand) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(3 * time.Millisecond):
		}
		list := lists[rng.IntN(len(lists))]
		b.mu.Lock()
		b.seq++
		item := list + "|" + strconv.Itoa(b.seq)
		b.sent[item] = true // before a consumer can pop it
		b.mu.Unlock()
		begin := time.Now()
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		r := b.c.Do(pctx, "RPUSH", list, item)
		cancel()
		s := span{begin, time.Now()}
		b.mu.Lock()
		switch {
		case r.Err == nil:
			b.pushed[item] = s
		case unknownOutcome(r.Err):
			b.maybe[item] = true
		default:
			b.notRun[item] = true
		}
		b.mu.Unlock()
		if r.Err != nil {
			b.counts.failed("RPUSH", r.Err)
		} else if _, err := r.Int64(); err != nil {
			b.counts.wrongf("RPUSH %s: %v", list, short(r.Value))
		}
		b.counts.op(1)
	}
}

// consume pops items with BLPOP (1 s timeout) until stop.
func (b *blocking) consume(ctx context.Context, stop <-chan struct{}, rng *rand.Rand) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		list := lists[rng.IntN(len(lists))]
		begin := time.Now()
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		r := b.c.Do(pctx, "BLPOP", list, "1")
		cancel()
		s := span{begin, time.Now()}
		switch {
		case r.Err != nil:
			b.counts.failed("BLPOP", r.Err)
			if unknownOutcome(r.Err) {
				b.mu.Lock()
				b.unknowns[list]++
				b.mu.Unlock()
			}
			continue
		case r.Value == nil: // timed out
			continue
		}
		b.counts.op(1)
		kv, ok := r.Value.([]any)
		if !ok || len(kv) != 2 || kv[0] != list {
			b.counts.wrongf("BLPOP %s: %v", list, short(r.Value))
			continue
		}
		item, _ := kv[1].(string)
		b.take(list, item, s, "BLPOP")
	}
}

// take records that item came out of list (popped, or found at the end).
func (b *blocking) take(list, item string, s span, how string) {
	if !strings.HasPrefix(item, list+"|") {
		b.counts.wrongf("%s %s: an item of another list: %q", how, list, item)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.sent[item] {
		b.counts.wrongf("%s %s: an item never pushed: %q", how, list, item)
		return
	}
	if first, twice := b.popped[item]; twice {
		// A pop acknowledged by a master that died before its replica had
		// it: the replica still holds the item.
		if b.crashes.explains(list, first.begin, first.end) {
			b.counts.crashLostN(1)
		} else {
			b.counts.wrongf("%s %s: %q twice", how, list, item)
		}
		return
	}
	b.popped[item] = s
}

// finish takes what is left in the lists, deletes them, and counts the
// acknowledged items that neither came out nor are there.
func (b *blocking) finish(ctx context.Context) error {
	for _, list := range lists {
		r := b.c.Do(ctx, "LRANGE", list, "0", "-1")
		items, err := r.Slice()
		if err != nil {
			return fmt.Errorf("LRANGE %s: %w", list, err)
		}
		for _, it := range items {
			s, _ := it.(string)
			b.take(list, s, span{}, "LRANGE")
		}
		if err := b.c.Do(ctx, "DEL", list).Err; err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for item := range b.popped {
		if b.notRun[item] {
			b.counts.wrongf("%s: came out of its list, but its RPUSH failed with an error that says it did not run", item)
		}
	}
	for item, s := range b.pushed {
		if _, ok := b.popped[item]; ok {
			continue
		}
		list, _, _ := strings.Cut(item, "|")
		switch {
		case b.crashes.explains(list, s.begin, s.end):
			b.counts.crashLostN(1)
		case b.unknowns[list] > 0:
			b.unknowns[list]--
		default:
			b.counts.lostf("%s: pushed and never seen again", item)
		}
	}
	return nil
}

package consistency

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/topology"
)

// Checker runs the load of the package doc on a client and counts what it
// finds. Its methods are safe for concurrent use.
type Checker struct {
	c        *redactor.Client
	cfg      Config
	counters []*counter // counter i is owned by worker i%Workers

	mu      sync.Mutex // guards the fields below
	crashes []crash
	stats   Stats
	stop    chan struct{} // nil when no worker runs
	wg      sync.WaitGroup
}

// New returns a checker of the keys Config describes, used through c. It
// sends nothing: Reset clears the keys, Start starts the load.
func New(c *redactor.Client, cfg Config) (*Checker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ch := &Checker{c: c, cfg: cfg, stats: Stats{Errors: map[string]int64{}}}
	for _, k := range spreadKeys(cfg.Prefix, cfg.Keys) {
		ch.counters = append(ch.counters, &counter{key: k, slot: int(topology.Slot(k))})
	}
	return ch, nil
}

// Keys returns the keys the checker uses.
func (ch *Checker) Keys() []string {
	keys := make([]string, len(ch.counters))
	for i, c := range ch.counters {
		keys[i] = c.key
	}
	return keys
}

// Reset deletes the keys, so that every counter starts at 0. Call it
// before Start, and to clean up after Stop.
func (ch *Checker) Reset(ctx context.Context) error {
	p := ch.c.Pipeline()
	for _, c := range ch.counters {
		p.Do("DEL", c.key)
	}
	results, err := p.Exec(ctx)
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// Start starts the workers; ctx bounds their pipelines. It does nothing
// while they run.
func (ch *Checker) Start(ctx context.Context) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.stop != nil {
		return
	}
	ch.stop = make(chan struct{})
	for w := range ch.cfg.Workers {
		var owned []*counter
		for i := w; i < len(ch.counters); i += ch.cfg.Workers {
			owned = append(owned, ch.counters[i])
		}
		rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
		ch.wg.Go(func() { ch.work(ctx, ch.stop, owned, rng) })
	}
}

// Stop stops the workers, waits until their last pipelines have ended and
// returns the counts.
func (ch *Checker) Stop() Stats {
	ch.mu.Lock()
	if ch.stop != nil {
		close(ch.stop)
		ch.stop = nil
	}
	ch.mu.Unlock()
	ch.wg.Wait()
	return ch.Stats()
}

// Stats returns the counts so far.
func (ch *Checker) Stats() Stats {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	s := ch.stats
	s.Errors = make(map[string]int64, len(ch.stats.Errors))
	for k, n := range ch.stats.Errors {
		s.Errors[k] = n
	}
	return s
}

// Verify reads every key once and checks it as the workers' GETs are
// checked; call it after Stop. It returns the counts, or the error of a
// pipeline that could not run.
func (ch *Checker) Verify(ctx context.Context) (Stats, error) {
	for batch := range chunk(ch.counters, 500) {
		var s Stats
		if err := ch.read(ctx, batch, true, &s); err != nil {
			return ch.Stats(), err
		}
		ch.add(s)
	}
	return ch.Stats(), nil
}

// chunk yields s in parts of at most n.
func chunk[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// work runs pipelines over the keys it owns until stop.
func (ch *Checker) work(ctx context.Context, stop chan struct{}, owned []*counter, rng *rand.Rand) {
	pick := make([]*counter, ch.cfg.Pipeline)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		if ctx.Err() != nil {
			return
		}
		var s Stats
		sample(rng, owned, pick)
		ch.write(ctx, pick, i%2 == 0, &s)
		sample(rng, owned, pick)
		_ = ch.read(ctx, pick, i%2 == 1, &s)
		ch.add(s)
	}
}

// sample fills pick with distinct counters of from, at random.
func sample(rng *rand.Rand, from, pick []*counter) {
	for i := range pick {
		j := i + rng.IntN(len(from)-i)
		from[i], from[j] = from[j], from[i]
		pick[i] = from[i]
	}
}

// write sends a pipeline of INCRs of cs and checks the replies into s.
func (ch *Checker) write(ctx context.Context, cs []*counter, parallel bool, s *Stats) {
	p := ch.c.Pipeline(redactor.WithParallel(parallel))
	for _, c := range cs {
		p.Do("INCR", c.key)
	}
	sent := time.Now()
	pctx, cancel := context.WithTimeout(ctx, ch.cfg.Timeout)
	results, err := p.Exec(pctx)
	cancel()
	if err != nil { // no outcome for any of them
		for _, c := range cs {
			c.unknown++
		}
		s.Unknown += int64(len(cs))
		s.note("INCR pipeline: "+errKind(err), len(cs))
		return
	}
	for i, c := range cs {
		r := results[i]
		if r.Err != nil {
			if unknownOutcome(r.Err) {
				c.unknown++
				s.Unknown++
			} else {
				s.Failed++
			}
			s.note("INCR: "+errKind(r.Err), 1)
			continue
		}
		n, err := r.Int64()
		if err != nil {
			s.Wrong++
			s.note("INCR: "+errKind(err), 1)
			continue
		}
		s.Writes++
		s.merge(c.incremented(n, sent, ch.explain))
	}
}

// read sends a pipeline of GETs of cs and checks the replies into s. It
// returns the pipeline's own error.
func (ch *Checker) read(ctx context.Context, cs []*counter, parallel bool, s *Stats) error {
	p := ch.c.Pipeline(redactor.WithParallel(parallel))
	for _, c := range cs {
		p.Do("GET", c.key)
	}
	pctx, cancel := context.WithTimeout(ctx, ch.cfg.Timeout)
	results, err := p.Exec(pctx)
	cancel()
	if err != nil {
		s.Failed += int64(len(cs))
		s.note("GET pipeline: "+errKind(err), len(cs))
		return err
	}
	for i, c := range cs {
		r := results[i]
		if r.Err != nil {
			s.Failed++
			s.note("GET: "+errKind(r.Err), 1)
			continue
		}
		var v int64
		if !r.IsNil() { // a key never incremented, or whose increments were all lost
			if v, err = r.Int64(); err != nil {
				s.Wrong++
				s.note("GET: "+errKind(err), 1)
				continue
			}
		}
		s.Reads++
		s.merge(c.read(v, ch.explain))
	}
	return nil
}

// unknownOutcome reports whether a command with err may have run.
func unknownOutcome(err error) bool {
	return errors.Is(err, redactor.ErrUnknownOutcome) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// add adds the counts of one round to the checker's.
func (ch *Checker) add(s Stats) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	t := &ch.stats
	t.Reads += s.Reads
	t.Writes += s.Writes
	t.Failed += s.Failed
	t.Unknown += s.Unknown
	t.Lost += s.Lost
	t.Unexpected += s.Unexpected
	t.CrashLost += s.CrashLost
	t.MaxCrashAge = max(t.MaxCrashAge, s.MaxCrashAge)
	t.Wrong += s.Wrong
	for k, n := range s.Errors {
		t.Errors[k] += n
	}
}

// merge adds what the checks of one reply found.
func (s *Stats) merge(t tally) {
	s.Lost += t.lost
	s.CrashLost += t.crashLost
	s.Unexpected += t.unexpected
	s.MaxCrashAge = max(s.MaxCrashAge, t.maxCrashAge)
}

// note counts n commands that failed with the error kind.
func (s *Stats) note(kind string, n int) {
	if s.Errors == nil {
		s.Errors = map[string]int64{}
	}
	s.Errors[kind] += int64(n)
}

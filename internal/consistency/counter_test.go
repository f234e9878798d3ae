package consistency

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/redactor-go/redactor/topology"
)

// step is one reply a counter checks: an INCR that returned incr, sent at
// sent (seconds after t0), or a GET that returned get; or an INCR whose
// outcome is unknown.
type step struct {
	incr, get int64
	unknown   bool
	sent      float64
}

func TestCounter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	// A master serving slot 7 was killed at 10 s, gone at 10.1 s; W is 1 s.
	ch := &Checker{cfg: Config{CrashWindow: time.Second}}
	ch.Crash([]int{3, 7}, at(10), at(10.1))

	for _, tt := range []struct {
		name  string
		slot  int
		steps []step
		want  tally
	}{
		{name: "in step", slot: 7, steps: []step{{incr: 1}, {incr: 2}, {get: 2}, {incr: 3}, {get: 3}}},
		{name: "never written", slot: 7, steps: []step{{get: 0}}},
		{name: "read lower: lost", slot: 1, steps: []step{{incr: 1}, {incr: 2}, {incr: 3}, {get: 1}}, want: tally{lost: 2}},
		{name: "lost once, then in step again", slot: 1,
			steps: []step{{incr: 1}, {incr: 2}, {get: 1}, {get: 1}, {incr: 2}, {get: 2}}, want: tally{lost: 1}},
		{name: "INCR not above the acknowledged: lost", slot: 1,
			steps: []step{{incr: 1}, {incr: 2}, {incr: 3}, {incr: 2}}, want: tally{lost: 2}},
		{name: "unknown that ran is neither lost nor unexpected", slot: 1,
			steps: []step{{incr: 1}, {unknown: true}, {get: 2}, {incr: 3}}},
		{name: "unknown that did not run", slot: 1,
			steps: []step{{incr: 1}, {unknown: true}, {get: 1}, {incr: 2}}},
		{name: "unknown lost with acknowledged ones: only those count", slot: 1,
			steps: []step{{incr: 1}, {unknown: true}, {incr: 3}, {get: 1}}, want: tally{lost: 1}},
		{name: "more than acknowledged and unknown: unexpected, once", slot: 1,
			steps: []step{{incr: 1}, {get: 3}, {get: 3}, {incr: 4}}, want: tally{unexpected: 2}},
		{name: "INCR jumping: unexpected", slot: 1,
			steps: []step{{incr: 1}, {unknown: true}, {incr: 5}}, want: tally{unexpected: 2}},
		{name: "crash: lost in the window before the kill", slot: 7,
			steps: []step{{incr: 1, sent: 1}, {incr: 2, sent: 9.5}, {incr: 3, sent: 10.05}, {get: 1}},
			want:  tally{crashLost: 2, maxCrashAge: 500 * time.Millisecond}},
		{name: "crash: acknowledged before the window is lost", slot: 7,
			steps: []step{{incr: 1, sent: 1}, {incr: 2, sent: 8.5}, {incr: 3, sent: 9.5}, {get: 1}},
			want:  tally{lost: 1, crashLost: 1, maxCrashAge: 500 * time.Millisecond}},
		{name: "crash: after the kill is lost", slot: 7,
			steps: []step{{incr: 1, sent: 9.9}, {incr: 2, sent: 10.5}, {get: 0}},
			want:  tally{lost: 1, crashLost: 1, maxCrashAge: 100 * time.Millisecond}},
		{name: "crash: another master's slot is lost", slot: 5,
			steps: []step{{incr: 1, sent: 9.9}, {get: 0}}, want: tally{lost: 1}},
		{name: "crash: found by the next INCR", slot: 3,
			steps: []step{{incr: 1, sent: 9.9}, {incr: 2, sent: 9.95}, {incr: 2, sent: 12}, {get: 2}},
			want:  tally{crashLost: 1, maxCrashAge: 50 * time.Millisecond}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &counter{key: "k", slot: tt.slot}
			var got tally
			for _, s := range tt.steps {
				var d tally
				switch {
				case s.unknown:
					c.unknown++
				case s.incr > 0:
					d = c.incremented(s.incr, at(s.sent), ch.explain)
				default:
					d = c.read(s.get, ch.explain)
				}
				got.lost += d.lost
				got.crashLost += d.crashLost
				got.unexpected += d.unexpected
				got.maxCrashAge = max(got.maxCrashAge, d.maxCrashAge)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCounterForgetsOldIncrements(t *testing.T) {
	c := &counter{key: "k"}
	never := func(int, time.Time) (time.Duration, bool) { return 0, false }
	for i := range int64(ackHistory + 10) {
		c.incremented(i+1, time.Time{}, never)
	}
	assert.Len(t, c.history, ackHistory)
	got := c.read(0, never)
	assert.Equal(t, tally{lost: ackHistory + 10}, got, "increments older than the history count as lost too")
	assert.Empty(t, c.history)
	assert.Zero(t, c.forgotten)
}

func TestSpreadKeys(t *testing.T) {
	keys := spreadKeys("p", 1000)
	assert.Len(t, keys, 1000)
	seen := map[string]bool{}
	for i, k := range keys {
		assert.False(t, seen[k], "key %s twice", k)
		seen[k] = true
		assert.Equal(t, i*16384/1000, slotOf(k))
	}
	assert.Len(t, spreadKeys("p", 16384), 16384)
}

func TestConfigDefaults(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cfg     Config
		wantErr error
	}{
		{name: "zero"},
		{name: "brace in prefix", cfg: Config{Prefix: "a{b"}, wantErr: ErrInvalidConfig},
		{name: "too many keys", cfg: Config{Keys: 16385}, wantErr: ErrInvalidConfig},
		{name: "more workers than keys", cfg: Config{Keys: 3, Workers: 4}, wantErr: ErrInvalidConfig},
		{name: "pipeline above a worker's keys", cfg: Config{Keys: 100, Workers: 4, Pipeline: 26}, wantErr: ErrInvalidConfig},
		{name: "negative window", cfg: Config{CrashWindow: -1}, wantErr: ErrInvalidConfig},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.withDefaults()
			assert.ErrorIs(t, err, tt.wantErr)
			if tt.wantErr == nil {
				assert.Equal(t, Config{Prefix: "consistency", Keys: 1000, Workers: 4, Pipeline: 20,
					Timeout: 20 * time.Second, CrashWindow: time.Second}, got)
			}
		})
	}
}

func slotOf(k string) int { return int(topology.Slot(k)) }

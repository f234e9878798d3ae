package consistency

import (
	"slices"
	"time"
)

// crash is a master killed between at and done, and the slots it served.
type crash struct {
	at, done time.Time
	slots    []int // sorted
}

// Crash tells the checker that the master serving slots was killed (kill
// -9, or a crash) after at and before done: call it with the time just
// before the kill and the time the process was gone. Increments of keys in
// those slots that a pipeline started in [at-CrashWindow, done]
// acknowledged, and that are lost, count as crash-lost instead of lost.
func (ch *Checker) Crash(slots []int, at, done time.Time) {
	cr := crash{at: at, done: done, slots: slices.Sorted(slices.Values(slots))}
	ch.mu.Lock()
	ch.crashes = append(ch.crashes, cr)
	ch.mu.Unlock()
}

// explain is the checker's explainFunc: the crash-lost rule.
func (ch *Checker) explain(slot int, sent time.Time) (time.Duration, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	for _, cr := range ch.crashes {
		if sent.Before(cr.at.Add(-ch.cfg.CrashWindow)) || sent.After(cr.done) {
			continue
		}
		if _, ok := slices.BinarySearch(cr.slots, slot); ok {
			return max(cr.at.Sub(sent), 0), true
		}
	}
	return 0, false
}

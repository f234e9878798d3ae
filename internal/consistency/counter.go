package consistency

import "time"

// ackHistory is how many acknowledged increments a counter remembers, to
// tell which of them a loss took: a crash takes the last few.
const ackHistory = 64

// ack is one acknowledged increment: the value its INCR returned and when
// its pipeline started.
type ack struct {
	value int64
	sent  time.Time
}

// explainFunc reports whether the loss of an increment of a key in slot,
// acknowledged by a pipeline started at sent, is a crash failover's doing
// (see the package doc), and if so how long before the kill it was sent.
type explainFunc func(slot int, sent time.Time) (age time.Duration, ok bool)

// tally is what the checks of one reply found.
type tally struct {
	lost, crashLost, unexpected int64
	maxCrashAge                 time.Duration
}

// counter is what the checker knows of one key. Only the worker that owns
// the key touches it.
type counter struct {
	key  string
	slot int
	// acked is the acknowledged value: the highest value an INCR returned
	// since the last loss, or the value read at that loss.
	acked int64
	// unknown counts the INCRs whose outcome is unknown, ever.
	unknown int64
	// extra counts the unexpected increments already reported.
	extra int64
	// history holds the last acknowledged increments above the last loss,
	// oldest first; forgotten is the highest value dropped from it.
	history   []ack
	forgotten int64
}

// incremented checks the reply r of an INCR sent by a pipeline that
// started at sent: the server held r-1 just before.
func (c *counter) incremented(r int64, sent time.Time, explain explainFunc) tally {
	var t tally
	if before := r - 1; before < c.acked {
		t = c.lose(before, explain)
	} else {
		t.unexpected = c.surplus(before)
	}
	c.acked = r
	if len(c.history) == ackHistory {
		c.forgotten = c.history[0].value
		c.history = append(c.history[:0], c.history[1:]...)
	}
	c.history = append(c.history, ack{value: r, sent: sent})
	return t
}

// read checks the value v a GET returned.
func (c *counter) read(v int64, explain explainFunc) tally {
	if v < c.acked {
		return c.lose(v, explain)
	}
	return tally{unexpected: c.surplus(v)}
}

// surplus returns how many increments the value v has beyond what was
// acknowledged, might have run, or was reported before, and reports them.
func (c *counter) surplus(v int64) int64 {
	over := v - c.acked - c.unknown - c.extra
	if over <= 0 {
		return 0
	}
	c.extra += over
	return over
}

// lose counts the acknowledged increments above v, the value the server
// holds, as lost or crash-lost, and starts the key again from v. An
// increment that was never acknowledged (its outcome unknown) is not lost.
// Increments older than the history, which may have been acknowledged,
// count as lost.
func (c *counter) lose(v int64, explain explainFunc) tally {
	var t tally
	if c.forgotten > v {
		t.lost = c.forgotten - v
	}
	kept := c.history[:0]
	for _, a := range c.history {
		if a.value <= v {
			kept = append(kept, a)
			continue
		}
		if age, ok := explain(c.slot, a.sent); ok {
			t.crashLost++
			t.maxCrashAge = max(t.maxCrashAge, age)
		} else {
			t.lost++
		}
	}
	c.history = kept
	c.forgotten = min(c.forgotten, v)
	c.acked = v
	return t
}

//go:build soak

package soak

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redactor-go/redactor"
	"github.com/redactor-go/redactor/topology"
)

var dumpOnce sync.Once

// crashWindow is W: a write acknowledged by a master at most W before it was
// killed may be lost with it (see internal/consistency).
const crashWindow = time.Second

// maxNotes bounds the descriptions of wrong replies and losses kept.
const maxNotes = 10

// counts is what one load counted. Its methods are safe for concurrent use.
type counts struct {
	name string
	logf func(format string, args ...any) // told of each deadline hit at once

	mu        sync.Mutex
	ops       int64            // operations whose reply was checked
	errs      map[string]int64 // commands that failed, by error
	wrong     int64            // wrong replies
	lost      int64            // acknowledged writes lost, with no crash to explain it
	crashLost int64            // acknowledged writes lost in a crash failover
	notes     []string         // the first wrong replies and losses
}

func newCounts(name string) *counts { return &counts{name: name, errs: map[string]int64{}} }

func (c *counts) op(n int) {
	c.mu.Lock()
	c.ops += int64(n)
	c.mu.Unlock()
}

// failed counts a command that got err.
func (c *counts) failed(what string, err error) {
	if c.logf != nil && errors.Is(err, context.DeadlineExceeded) {
		c.logf("%s: %s: %v", c.name, what, err)
		dumpOnce.Do(func() {
			// What every goroutine waits for, to find out why.
			buf := make([]byte, 1<<24)
			buf = buf[:runtime.Stack(buf, true)]
			f := filepath.Join(os.TempDir(), fmt.Sprintf("soak-stacks-%d.txt", time.Now().UnixNano()))
			if err := os.WriteFile(f, buf, 0o644); err == nil {
				c.logf("goroutines at the first deadline hit: %s", f)
			}
		})
	}
	c.mu.Lock()
	c.errs[what+": "+errKind(err)]++
	c.mu.Unlock()
}

func (c *counts) wrongf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wrong++
	c.noteLocked("wrong: "+format, args...)
}

func (c *counts) lostf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lost++
	c.noteLocked("lost: "+format, args...)
}

func (c *counts) crashLostN(n int64) {
	c.mu.Lock()
	c.crashLost += n
	c.mu.Unlock()
}

func (c *counts) noteLocked(format string, args ...any) {
	if len(c.notes) < maxNotes {
		c.notes = append(c.notes, fmt.Sprintf(format, args...))
	}
}

// String gives the counts on a few lines.
func (c *counts) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s ops %d | wrong %d | lost %d | crash-lost %d", c.name, c.ops, c.wrong, c.lost, c.crashLost)
	for _, k := range slices.Sorted(maps.Keys(c.errs)) {
		fmt.Fprintf(&b, "\n    %d × %s", c.errs[k], k)
	}
	for _, n := range c.notes {
		fmt.Fprintf(&b, "\n    %s", n)
	}
	return b.String()
}

// errKind names an error for the counts: an error reply's prefix, or the
// client's sentinel error it wraps.
func errKind(err error) string {
	var redisErr *redactor.RedisError
	if errors.As(err, &redisErr) {
		return "error reply " + redisErr.Prefix()
	}
	for _, known := range []error{redactor.ErrUnknownOutcome, redactor.ErrNodeUnreachable, redactor.ErrNotSent,
		redactor.ErrTooManyRedirects, redactor.ErrSlotNotServed, redactor.ErrClosed, redactor.ErrUnexpectedType,
		redactor.ErrNil, context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	return err.Error()
}

// unknownOutcome reports whether a command that got err may have run.
func unknownOutcome(err error) bool {
	return errors.Is(err, redactor.ErrUnknownOutcome) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// crashLog records the masters the chaos killed, for the loads to tell a
// write lost in a crash failover from a lost one.
type crashLog struct {
	mu      sync.Mutex
	crashes []crash
}

// crash is a master killed between at and done, and the slots it served.
type crash struct {
	at, done time.Time
	slots    map[int]bool
}

func (l *crashLog) add(slots []int, at, done time.Time) {
	cr := crash{at: at, done: done, slots: map[int]bool{}}
	for _, s := range slots {
		cr.slots[s] = true
	}
	l.mu.Lock()
	l.crashes = append(l.crashes, cr)
	l.mu.Unlock()
}

// explains reports whether a write of key, sent by a call that started at
// from and ended at to, may have been lost in a crash failover: the master
// serving its slot was killed within the crash window of the call. With
// key "", any master counts (a keyless PUBLISH).
func (l *crashLog) explains(key string, from, to time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, cr := range l.crashes {
		if from.After(cr.done) || to.Before(cr.at.Add(-crashWindow)) {
			continue
		}
		if key == "" || cr.slots[int(topology.Slot(key))] {
			return true
		}
	}
	return false
}

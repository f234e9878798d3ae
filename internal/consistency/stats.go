package consistency

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Stats are the checker's counts so far (see the package doc for what each
// means).
type Stats struct {
	// Reads and Writes are the GETs and INCRs that got a reply.
	Reads, Writes int64
	// Failed counts the commands whose error proves they did not run.
	Failed int64
	// Unknown counts the INCRs whose outcome is unknown.
	Unknown int64
	// Lost counts the acknowledged increments the server lost, apart from
	// those in CrashLost.
	Lost int64
	// Unexpected counts the increments the server has that were neither
	// acknowledged nor of unknown outcome.
	Unexpected int64
	// CrashLost counts the lost increments a crash failover explains.
	CrashLost int64
	// MaxCrashAge is the longest time from the start of the pipeline of a
	// crash-lost increment to the kill.
	MaxCrashAge time.Duration
	// Wrong counts the replies that are not integers.
	Wrong int64
	// Errors counts the failed and unknown commands by their error.
	Errors map[string]int64
}

// String gives the counts on one line.
func (s Stats) String() string {
	return fmt.Sprintf("reads %d | writes %d | failed %d | unknown %d | lost %d | unexpected %d | crash-lost %d | wrong %d",
		s.Reads, s.Writes, s.Failed, s.Unknown, s.Lost, s.Unexpected, s.CrashLost, s.Wrong)
}

// ErrorsString lists Errors, most frequent first, one "count error" a line,
// each line starting with indent.
func (s Stats) ErrorsString(indent string) string {
	kinds := slices.SortedFunc(maps.Keys(s.Errors), func(a, b string) int {
		if d := s.Errors[b] - s.Errors[a]; d != 0 {
			return int(d)
		}
		return strings.Compare(a, b)
	})
	var b strings.Builder
	for _, k := range kinds {
		fmt.Fprintf(&b, "%s%d %s\n", indent, s.Errors[k], k)
	}
	return b.String()
}

// Since returns the counts of s that came after before, taken earlier from
// the same checker. MaxCrashAge stays s's.
func (s Stats) Since(before Stats) Stats {
	d := Stats{
		Reads:       s.Reads - before.Reads,
		Writes:      s.Writes - before.Writes,
		Failed:      s.Failed - before.Failed,
		Unknown:     s.Unknown - before.Unknown,
		Lost:        s.Lost - before.Lost,
		Unexpected:  s.Unexpected - before.Unexpected,
		CrashLost:   s.CrashLost - before.CrashLost,
		MaxCrashAge: s.MaxCrashAge,
		Wrong:       s.Wrong - before.Wrong,
		Errors:      map[string]int64{},
	}
	for k, n := range s.Errors {
		if n -= before.Errors[k]; n > 0 {
			d.Errors[k] = n
		}
	}
	return d
}

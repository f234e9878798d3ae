package redactor

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/redactor-go/redactor/topology"
)

// slotSet is a set of hash slots, one bit per slot. Its zero value is empty.
type slotSet [topology.SlotCount / 64]uint64

func (s *slotSet) add(slot int)      { s[slot>>6] |= 1 << (slot & 63) }
func (s *slotSet) has(slot int) bool { return s[slot>>6]&(1<<(slot&63)) != 0 }
func (s *slotSet) addRange(first, last int) {
	for slot := first; slot <= last; slot++ {
		s.add(slot)
	}
}

// remove takes every slot of o out of s.
func (s *slotSet) remove(o *slotSet) {
	for i := range s {
		s[i] &^= o[i]
	}
}

// union adds every slot of o to s.
func (s *slotSet) union(o *slotSet) {
	for i := range s {
		s[i] |= o[i]
	}
}

// intersect keeps in s only the slots also in o.
func (s *slotSet) intersect(o *slotSet) {
	for i := range s {
		s[i] &= o[i]
	}
}

// count returns how many slots s holds.
func (s *slotSet) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// full reports whether s holds every slot.
func (s *slotSet) full() bool {
	for _, w := range s {
		if w != ^uint64(0) {
			return false
		}
	}
	return true
}

// String lists the slots as sorted ranges, "0-5460,5462"; "" when empty.
// It is the form parseSlotRanges reads.
func (s *slotSet) String() string {
	var b strings.Builder
	for slot := 0; slot < topology.SlotCount; slot++ {
		if !s.has(slot) {
			continue
		}
		last := slot
		for last+1 < topology.SlotCount && s.has(last+1) {
			last++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(slot))
		if last > slot {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(last))
		}
		slot = last
	}
	return b.String()
}

// parseSlotRanges reads what slotSet.String writes.
func parseSlotRanges(text string) (slotSet, error) {
	var s slotSet
	if text == "" {
		return s, nil
	}
	for r := range strings.SplitSeq(text, ",") {
		first, last, err := parseSlotRange(r)
		if err != nil {
			return s, err
		}
		s.addRange(first, last)
	}
	return s, nil
}

// parseSlotRange reads "first-last" or "slot", as CLUSTER NODES lists
// slots.
func parseSlotRange(r string) (first, last int, err error) {
	lo, hi, isRange := strings.Cut(r, "-")
	if !isRange {
		hi = lo
	}
	first, errLo := strconv.Atoi(lo)
	last, errHi := strconv.Atoi(hi)
	if errLo != nil || errHi != nil || first < 0 || last < first || last >= topology.SlotCount {
		return 0, 0, fmt.Errorf("bad slot range %q", r)
	}
	return first, last, nil
}

package redactor

import (
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// cursorVersion starts every cursor, so that a later format can tell.
const cursorVersion = "redactor-scan-1"

// Cursor returns where the scan stands, as an opaque string: a Scan with
// ScanOptions.Cursor set to it, and the same Match and Type, carries on
// from there, with the same promise, in this process or another (with a
// client of the same cluster). Keys Next returned from the current page of
// SCAN are returned again. Take it when Next returned false because ctx
// ended, to go on later; the cursor of a completed scan resumes one that
// ends at once.
func (it *ScanIterator) Cursor() string {
	f := []string{cursorVersion, strconv.FormatUint(it.optsSum, 16), it.done.String()}
	if p := it.pass; p != nil {
		next := p.cursor
		switch {
		case len(it.page) > 0:
			next = p.pageCursor
		case p.ended:
			next = "end"
		}
		st := &p.start
		f = append(f, p.addr, next, st.id, st.runID, st.replID,
			strconv.FormatUint(st.epoch, 10), strconv.FormatUint(st.restores, 10), st.stable.String())
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(f, "|")))
}

// resume sets the iterator to where cursor says.
func (it *ScanIterator) resume(cursor string) error {
	text, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCursor, err)
	}
	f := strings.Split(string(text), "|")
	if f[0] != cursorVersion || (len(f) != 3 && len(f) != 11) {
		return fmt.Errorf("%w: not a cursor of this version", ErrInvalidCursor)
	}
	if sum, err := strconv.ParseUint(f[1], 16, 64); err != nil || sum != it.optsSum {
		return fmt.Errorf("%w: made for other Match or Type options", ErrInvalidCursor)
	}
	if it.done, err = parseSlotRanges(f[2]); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCursor, err)
	}
	if len(f) == 3 {
		return nil
	}
	p := &scanPass{addr: f[3], cursor: f[4], pageCursor: f[4],
		start: nodeState{id: f[5], runID: f[6], replID: f[7], master: true}}
	if p.cursor == "end" {
		p.cursor, p.pageCursor, p.ended = "0", "0", true
	}
	if _, err := strconv.ParseUint(p.cursor, 10, 64); err != nil || p.addr == "" {
		return fmt.Errorf("%w: bad SCAN cursor or address", ErrInvalidCursor)
	}
	epoch, errEpoch := strconv.ParseUint(f[8], 10, 64)
	restores, errRestores := strconv.ParseUint(f[9], 10, 64)
	stable, errStable := parseSlotRanges(f[10])
	if err := errors.Join(errEpoch, errRestores, errStable); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCursor, err)
	}
	p.start.epoch, p.start.restores, p.start.stable = epoch, restores, stable
	it.pass = p
	return nil
}

// scanOptionsSum identifies the options that decide which keys a scan
// returns.
func scanOptionsSum(opts ScanOptions) uint64 {
	h := fnv.New64a()
	h.Write([]byte(opts.Match))
	h.Write([]byte{0})
	h.Write([]byte(opts.Type))
	return h.Sum64()
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redactor-go/redactor/redactortest"
)

// row is one line of the table.
type row struct {
	masters          int
	serial, parallel float64 // ms
	ratio            float64
}

// rows parses the table's rows out of the program's output.
func rows(t *testing.T, out string) []row {
	t.Helper()
	var rows []row
	for line := range strings.Lines(out) {
		var r row
		if n, _ := fmt.Sscanf(line, "%d | %f ms | %f ms | %f", &r.masters, &r.serial, &r.parallel, &r.ratio); n == 4 {
			rows = append(rows, r)
		}
	}
	return rows
}

// TestSerialVsParallel runs the program as `go run
// ./examples/serial-vs-parallel -max-masters 3 -rounds 5` does, with local
// clusters of 1, 2 and 3 masters behind 1ms proxies.
func TestSerialVsParallel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const delay = time.Millisecond
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, options{maxMasters: 3, delay: delay, rounds: 5}), out.String())
	t.Log("\n" + out.String())
	assert.Contains(t, out.String(), "masters |     serial |   parallel | ratio\n")
	got := rows(t, out.String())
	require.Len(t, got, 3)
	roundTrip := ms(2 * delay)
	for i, r := range got {
		assert.Equal(t, i+1, r.masters)
		// A serial pipeline waits for one round trip per master, a
		// parallel one for at least one.
		assert.GreaterOrEqual(t, r.serial, float64(r.masters)*roundTrip, "row %d", i+1)
		assert.GreaterOrEqual(t, r.parallel, roundTrip, "row %d", i+1)
	}
	assert.Less(t, got[2].ratio, 1.0, "parallel beats serial on 3 masters")
}

// TestSerialVsParallelAddrs runs the program with -addrs: one row, for the
// cluster given.
func TestSerialVsParallelAddrs(t *testing.T) {
	rc := redactortest.StartT(t, redactortest.Options{Masters: 2})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, options{addrs: rc.Addrs()[:1], rounds: 3}), out.String())
	t.Log("\n" + out.String())
	got := rows(t, out.String())
	require.Len(t, got, 1)
	assert.Equal(t, 2, got[0].masters, "the masters the client found from one seed")
}

package main

import (
	"math"
	"runtime/metrics"
	"slices"
	"syscall"
	"time"
)

// measurement is one client's result in one (workload, setting): a row of
// the CSV, a cell of the table.
type measurement struct {
	workload   string
	setting    string // e.g. "500us", "direct", "1000 cmds, 3 masters"
	client     string
	masters    int
	pipeline   int // commands per pipeline; 1 for single commands
	goroutines int
	delay      string          // injected one-way delay, "" when direct
	rtt        []time.Duration // median PING round trip per master's seed address
	samples    int             // calls timed
	commands   int64           // commands completed
	elapsed    time.Duration   // wall time this client was measured
	p50, p99   time.Duration   // per call (pipeline or single command)
	cpu        time.Duration   // process CPU time while this client ran; 0 if not measured
	// allocated is the bytes the process allocated while this client ran
	// (0 if not measured), payload the bytes of the values its commands
	// sent and received, and peakHeap the most heap its process held
	// (measured with the client alone in a process of its own).
	allocated, payload, peakHeap uint64
	// retained is the heap still held after a GC by the values a caller
	// kept (the memory workload), whose bytes are then the payload.
	retained uint64
}

// allocPerPayload returns the bytes allocated per byte of payload, or 0.
func (m measurement) allocPerPayload() float64 {
	if m.payload == 0 {
		return 0
	}
	return float64(m.allocated) / float64(m.payload)
}

// opsPerSec returns commands completed per second of the client's wall time.
func (m measurement) opsPerSec() float64 {
	if m.elapsed <= 0 {
		return 0
	}
	return float64(m.commands) / m.elapsed.Seconds()
}

// cpuPerCommand returns the process CPU time per command, or 0.
func (m measurement) cpuPerCommand() time.Duration {
	if m.commands == 0 {
		return 0
	}
	return m.cpu / time.Duration(m.commands)
}

// recorder accumulates one client's timings in one (workload, setting).
type recorder struct {
	latencies []time.Duration
	commands  int64
	elapsed   time.Duration
	cpu       time.Duration
	allocated uint64
	payload   uint64
}

// add merges another recorder's (a goroutine's, a slice's) numbers, except
// elapsed and cpu, which the caller measures over the whole slice.
func (r *recorder) add(o *recorder) {
	r.latencies = append(r.latencies, o.latencies...)
	r.commands += o.commands
	r.payload += o.payload
}

// fill copies the recorder's numbers into m.
func (r *recorder) fill(m *measurement) {
	m.samples = len(r.latencies)
	m.commands = r.commands
	m.elapsed = r.elapsed
	m.cpu = r.cpu
	m.allocated, m.payload = r.allocated, r.payload
	m.p50 = percentile(r.latencies, 0.50)
	m.p99 = percentile(r.latencies, 0.99)
}

// percentile returns the q-quantile (nearest rank) of ds; it sorts ds.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(math.Ceil(q*float64(len(ds)))) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// median returns the median of ds without changing it.
func median(ds []time.Duration) time.Duration {
	return percentile(slices.Clone(ds), 0.5)
}

// allocated returns the bytes the process has allocated on the heap so far.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// cpuTime returns the CPU time (user + system) the process has used: all of
// its goroutines, the Go runtime and the GC included; the redis-server
// processes are not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

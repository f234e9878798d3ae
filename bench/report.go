package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// metric is one number of a measurement shown in the table.
type metric struct {
	name   string
	higher bool // higher is better (ops/s); else lower is (latency, CPU)
	value  func(measurement) float64
	format func(float64) string
}

var (
	metricP50 = metric{name: "p50", value: func(m measurement) float64 { return float64(m.p50) }, format: fmtDurF}
	metricP99 = metric{name: "p99", value: func(m measurement) float64 { return float64(m.p99) }, format: fmtDurF}
	metricOps = metric{name: "ops/s", higher: true, value: measurement.opsPerSec, format: fmtOps}
	metricCPU = metric{name: "cpu/cmd", value: func(m measurement) float64 { return float64(m.cpuPerCommand()) }, format: fmtDurF}
	// metricAlloc is the bytes allocated per byte of payload (values sent
	// and received).
	metricAlloc = metric{name: "alloc/payload", value: measurement.allocPerPayload,
		format: func(v float64) string { return fmt.Sprintf("%.2f", v) }}
	// metricHeapPerPayload is the peak heap per byte of payload, and
	// metricRetained the heap retained per byte of the values kept.
	metricHeapPerPayload = metric{name: "peak/payload", value: measurement.heapPerPayload, format: fmtRatio}
	metricRetained       = metric{name: "retained/kept", value: measurement.retainedPerKept, format: fmtRatio}
	// metricAllocOrNone is metricAlloc, "-" where nothing was measured.
	metricAllocOrNone = metric{name: metricAlloc.name, value: metricAlloc.value, format: fmtRatio}
	metricHeap        = metric{name: "peak heap", value: func(m measurement) float64 { return float64(m.peakHeap) },
		format: func(v float64) string { return fmtBytes(uint64(v)) }}
)

// fmtRatio formats a ratio, "-" for none.
func fmtRatio(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

// fmtBytes formats a byte count.
func fmtBytes(n uint64) string {
	switch {
	case n == 0:
		return "-"
	case n >= 1<<30:
		return fmt.Sprintf("%.2fGB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0fKB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// metricsOf returns the metrics the table shows for a workload.
func metricsOf(workload string) []metric {
	switch workload {
	case "latency":
		return []metric{metricP50, metricP99}
	case "throughput":
		return []metric{metricOps}
	case "single":
		return []metric{metricOps, metricP99}
	case "growth":
		return []metric{metricP50, metricCPU}
	case "mixed":
		return []metric{metricOps, metricP99, metricAlloc}
	case "mixed-heap":
		return []metric{metricHeap, metricAlloc, metricOps}
	case "hol":
		return []metric{metricP50, metricP99}
	case "memory":
		return []metric{metricHeap, metricHeapPerPayload, metricAllocOrNone, metricRetained}
	}
	return nil
}

// group is the measurements of one (workload, setting), by client.
type group struct {
	workload, setting string
	rtt               []time.Duration
	perMaster         bool // the masters' delays differ
	byClient          map[string]measurement
}

// groups returns the measurements grouped by (workload, setting), in the
// order of allWorkloads and then of measuring.
func groups(ms []measurement) []*group {
	var out []*group
	for _, w := range allWorkloads {
		index := map[string]*group{}
		for _, m := range ms {
			if m.workload != w {
				continue
			}
			g := index[m.setting]
			if g == nil {
				g = &group{workload: w, setting: m.setting, rtt: m.rtt, byClient: map[string]measurement{},
					perMaster: strings.Contains(m.delay, "/")}
				index[m.setting] = g
				out = append(out, g)
			}
			g.byClient[m.client] = m
		}
	}
	return out
}

// ratio returns a/b of metric mt for clients a and b of g, as text. For
// b go-redis it takes the better of go-redis with defaults and tuned.
func (g *group) ratio(mt metric, a, b string) string {
	ma, okA := g.byClient[a]
	vb, okB := g.best(mt, b)
	if !okA || !okB {
		return "-"
	}
	va := mt.value(ma)
	if vb == 0 || va == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", va/vb)
}

// best returns client b's value of mt; for go-redis, the better of its
// default and tuned setups that were measured.
func (g *group) best(mt metric, b string) (float64, bool) {
	names := []string{b}
	if b == nameGoRedis {
		names = append(names, nameGoRedisTuned)
	}
	var best float64
	found := false
	for _, n := range names {
		m, ok := g.byClient[n]
		if !ok || mt.value(m) == 0 {
			continue
		}
		v := mt.value(m)
		if !found || mt.higher && v > best || !mt.higher && v < best {
			best, found = v, true
		}
	}
	return best, found
}

// writeTable writes the results as an aligned Markdown table, with the
// ratios of the same run.
func writeTable(w io.Writer, ms []measurement) {
	header := []string{"workload", "setting", "rtt", "metric"}
	header = append(header, clientNames...)
	header = append(header, "redactor/go-redis", "redactor/rueidis", "parallel/serial")
	rows := [][]string{header}
	for _, g := range groups(ms) {
		for _, mt := range metricsOf(g.workload) {
			row := []string{g.workload, g.setting, fmtRTT(g.rtt, g.perMaster), mt.name}
			measured := false
			for _, c := range clientNames {
				cell := "-"
				if m, ok := g.byClient[c]; ok {
					cell = mt.format(mt.value(m))
				}
				measured = measured || cell != "-"
				row = append(row, cell)
			}
			if !measured {
				continue // a metric this setting does not measure
			}
			row = append(row,
				g.ratio(mt, nameRedactor, nameGoRedis),
				g.ratio(mt, nameRedactor, nameRueidis),
				g.ratio(mt, nameRedactor, nameSerial))
			rows = append(rows, row)
		}
	}
	widths := make([]int, len(header))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	const firstNumeric = 4
	line := func(cells []string) {
		var sb strings.Builder
		sb.WriteString("|")
		for i, cell := range cells {
			pad := strings.Repeat(" ", widths[i]-len([]rune(cell)))
			if i >= firstNumeric {
				sb.WriteString(" " + pad + cell + " |")
			} else {
				sb.WriteString(" " + cell + pad + " |")
			}
		}
		fmt.Fprintln(w, sb.String())
	}
	line(rows[0])
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = strings.Repeat("-", widths[i])
		if i >= firstNumeric {
			sep[i] = sep[i][1:] + ":"
		}
	}
	line(sep)
	for _, r := range rows[1:] {
		line(r)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Ratios divide redactor's (parallel) number by the other's, from the same run; redactor/go-redis")
	fmt.Fprintln(w, "takes the better of go-redis with defaults and go-redis-tuned (pool of 64 per node, AutoPipeline")
	fmt.Fprintln(w, "for single commands).")
	fmt.Fprintln(w, "p50, p99 (per call) and cpu/cmd: lower is better, a ratio above 1 means redactor is slower.")
	fmt.Fprintln(w, "ops/s (commands per second): higher is better, a ratio below 1 means redactor is slower.")
	fmt.Fprintln(w, "rtt: median PING round trip through each master's proxy (or direct), with a raw connection.")
}

// writeCSV writes one row per measurement to path.
func writeCSV(path string, ms []measurement) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := csv.NewWriter(f)
	_ = w.Write([]string{"workload", "setting", "client", "masters", "pipeline", "goroutines", "delay",
		"rtt_us", "samples", "commands", "seconds", "ops_per_sec", "p50_us", "p99_us", "cpu_ns_per_cmd"})
	us := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) }
	for _, m := range ms {
		rtts := make([]string, len(m.rtt))
		for i, d := range m.rtt {
			rtts[i] = us(d)
		}
		cpu := ""
		if m.cpu > 0 {
			cpu = strconv.FormatInt(int64(m.cpuPerCommand()), 10)
		}
		_ = w.Write([]string{m.workload, m.setting, m.client, strconv.Itoa(m.masters),
			strconv.Itoa(m.pipeline), strconv.Itoa(m.goroutines), m.delay, strings.Join(rtts, "/"),
			strconv.Itoa(m.samples), strconv.FormatInt(m.commands, 10),
			strconv.FormatFloat(m.elapsed.Seconds(), 'f', 3, 64),
			strconv.FormatFloat(m.opsPerSec(), 'f', 0, 64), us(m.p50), us(m.p99), cpu})
	}
	w.Flush()
	return w.Error()
}

// fmtDur formats a duration with three significant digits or so.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.2fµs", float64(d)/1e3)
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// fmtDurF formats a duration given in nanoseconds as a float.
func fmtDurF(ns float64) string { return fmtDur(time.Duration(math.Round(ns))) }

// fmtOps formats a rate.
func fmtOps(v float64) string {
	switch {
	case v <= 0:
		return "-"
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// fmtRTT formats the round trips of the masters: their median, or one per
// master when perMaster (the proxies' delays differ).
func fmtRTT(rtt []time.Duration, perMaster bool) string {
	if len(rtt) == 0 {
		return "-"
	}
	if !perMaster {
		return fmtDur(median(rtt))
	}
	parts := make([]string, len(rtt))
	for i, d := range rtt {
		parts[i] = fmtDur(d)
	}
	return strings.Join(parts, "/")
}

package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
)

// ceiling measures what the servers themselves can take: redis-benchmark
// in cluster mode, pipelines of 100 SETs and GETs of 32-byte values, with
// one connection per master (as redactor and rueidis use). The throughput
// workload is quoted as a fraction of it.
func (b *bench) ceiling(ctx context.Context, e *env) error {
	host, port, err := net.SplitHostPort(e.seeds()[0])
	if err != nil {
		return err
	}
	n := strconv.Itoa(max(2_000_000, 400_000*e.masters()))
	cmd := exec.CommandContext(ctx, "redis-benchmark", "--cluster", "-h", host, "-p", port,
		"-c", strconv.Itoa(e.masters()), "-P", "100", "-t", "set,get", "-d", "32", "-r", "10000", "-n", n, "--csv")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("redis-benchmark: %w", err)
	}
	var rps []float64
	body := out[strings.Index(string(out), "\"test\""):]
	records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		return fmt.Errorf("redis-benchmark output: %w", err)
	}
	for _, r := range records[1:] {
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			return fmt.Errorf("redis-benchmark output %q: %w", r, err)
		}
		rps = append(rps, v)
	}
	if len(rps) == 0 {
		return fmt.Errorf("redis-benchmark printed no rate")
	}
	var sum float64
	for _, v := range rps {
		sum += v
	}
	b.ceilingOps = sum / float64(len(rps))
	logf("ceiling: redis-benchmark --cluster -c %d -P 100 -d 32: %s ops/s", e.masters(), fmtOps(b.ceilingOps))
	return nil
}

// ceilingNote says what fraction of the servers' ceiling each client's
// throughput reached, for the table's notes.
func (b *bench) ceilingNote() string {
	if b.ceilingOps == 0 {
		return ""
	}
	var parts []string
	for _, m := range b.results {
		if m.workload == "throughput" {
			parts = append(parts, fmt.Sprintf("%s %.2f", m.client, m.opsPerSec()/b.ceilingOps))
		}
	}
	return fmt.Sprintf("servers' ceiling (redis-benchmark --cluster, one connection per master, -P 100, 32-byte values): %s ops/s;\n"+
		"throughput as a fraction of it: %s", fmtOps(b.ceilingOps), strings.Join(parts, ", "))
}

package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// seriesColors are the bar colors, by client, in clientNames order.
var seriesColors = map[string]string{
	nameRedactor:     "#1f77b4",
	nameSerial:       "#9ecae9",
	nameGoRedis:      "#d62728",
	nameGoRedisTuned: "#ff9896",
	nameRueidis:      "#2ca02c",
}

// chart is one grouped bar chart: a group of bars per (workload,
// setting), one bar per client.
type chart struct {
	title, subtitle, xLabel, yLabel string
	groups                          []*group
	// skip leaves a client out of the chart.
	skip func(client string) bool
	// value is the bar's height, in the y axis' unit; tip its tooltip.
	value func(measurement) float64
	tip   func(measurement) string
	// below are the lines under a group: its setting, and more.
	below func(*group) []string
}

// writeSVG draws the charts of the workloads that ran: the latency
// workload's p50 to path, and the mixed and growth workloads' next to it
// (mixed.svg, growth.svg).
func writeSVG(path string, results []measurement, pipeline, masters int) error {
	pick := func(workload string, keep func(*group) bool) []*group {
		var gs []*group
		for _, g := range groups(results) {
			if g.workload == workload && (keep == nil || keep(g)) {
				gs = append(gs, g)
			}
		}
		return gs
	}
	charts := map[string]chart{}
	if gs := pick("latency", nil); len(gs) > 0 {
		charts[path] = chart{
			title:    fmt.Sprintf("Pipeline of %d commands (half SET, half GET), %d masters: p50 latency", pipeline, masters),
			subtitle: "by injected one-way delay per master (proxy); below each group the measured PING round trip",
			xLabel:   "injected one-way delay", yLabel: "p50 latency (ms)", groups: gs,
			value: func(m measurement) float64 { return ms(m.p50) },
			tip:   func(m measurement) string { return fmt.Sprintf("p50 %s, p99 %s", fmtDur(m.p50), fmtDur(m.p99)) },
			below: func(g *group) []string { return []string{g.setting, "rtt " + fmtRTT(g.rtt, g.perMaster)} },
		}
	}
	if gs := pick("mixed", nil); len(gs) > 0 {
		charts[filepath.Join(filepath.Dir(path), "mixed.svg")] = chart{
			title:    fmt.Sprintf("Mixed workload: %d goroutines, pipelines of 1 to 1,000, SET then checked GET", throughputGoroutines),
			subtitle: "commands per second (higher is better), by the largest value size; weights in bench/mixed.go",
			xLabel:   "values from 16 B to", yLabel: "thousand commands/s", groups: gs,
			value: func(m measurement) float64 { return m.opsPerSec() / 1e3 },
			tip: func(m measurement) string {
				return fmt.Sprintf("%s ops/s, p99 %s, %.2f bytes allocated per byte of payload", fmtOps(m.opsPerSec()), fmtDur(m.p99), m.allocPerPayload())
			},
			below: func(g *group) []string { return []string{strings.TrimPrefix(g.setting, "values to ")} },
		}
	}
	if gs := pick("growth", func(g *group) bool { return strings.HasSuffix(g.setting, ", 100 cmds") }); len(gs) > 0 {
		charts[filepath.Join(filepath.Dir(path), "growth.svg")] = chart{
			title:    "Pipeline of 100 commands by cluster size: p50 latency",
			subtitle: "no proxy; redactor-serial left out (it grows with the masters: 0.2 s at 100)",
			xLabel:   "masters", yLabel: "p50 latency (ms)", groups: gs,
			skip:  func(c string) bool { return c == nameSerial },
			value: func(m measurement) float64 { return ms(m.p50) },
			tip: func(m measurement) string {
				return fmt.Sprintf("p50 %s, CPU %s a command", fmtDur(m.p50), fmtDur(m.cpuPerCommand()))
			},
			below: func(g *group) []string { return []string{strings.TrimSuffix(g.setting, " masters, 100 cmds")} },
		}
	}
	if len(charts) == 0 {
		return fmt.Errorf("svg: no measurements to draw")
	}
	for p, c := range charts {
		if err := os.WriteFile(p, c.draw(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// draw renders the chart as SVG.
func (c chart) draw() []byte {
	var series []string
	for _, name := range clientNames {
		if c.skip != nil && c.skip(name) {
			continue
		}
		for _, g := range c.groups {
			if _, ok := g.byClient[name]; ok {
				series = append(series, name)
				break
			}
		}
	}
	maxV := 0.0
	for _, g := range c.groups {
		for _, s := range series {
			if m, ok := g.byClient[s]; ok {
				maxV = max(maxV, c.value(m))
			}
		}
	}
	step := niceStep(maxV / 6)
	top := math.Ceil(maxV*1.08/step) * step

	const (
		width, height          = 900.0, 480.0
		left, right, up, below = 70.0, 20.0, 60.0, 110.0
	)
	plotW, plotH := width-left-right, height-up-below
	y := func(v float64) float64 { return up + plotH - v/top*plotH }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="24" text-anchor="middle" font-size="16" font-weight="bold">%s</text>`+"\n",
		width/2, html.EscapeString(c.title))
	fmt.Fprintf(&b, `<text x="%.0f" y="44" text-anchor="middle" fill="#555">%s</text>`+"\n", width/2, html.EscapeString(c.subtitle))

	// Y axis: grid lines and tick labels.
	for v := 0.0; v <= top+step/2; v += step {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, y(v), left+plotW, y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", left-6, y(v), trimFloat(v))
	}
	fmt.Fprintf(&b, `<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", up+plotH/2, html.EscapeString(c.yLabel))
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", left, up, left, up+plotH)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", left, up+plotH, left+plotW, up+plotH)

	// Bars, grouped by setting.
	groupW := plotW / float64(len(c.groups))
	barW := groupW * 0.8 / float64(len(series))
	for gi, g := range c.groups {
		x0 := left + float64(gi)*groupW + groupW*0.1
		for si, s := range series {
			m, ok := g.byClient[s]
			if !ok {
				continue
			}
			v := c.value(m)
			x := x0 + float64(si)*barW
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>`+"\n",
				x+1, y(v), barW-2, up+plotH-y(v), seriesColors[s], html.EscapeString(s), html.EscapeString(g.setting), html.EscapeString(c.tip(m)))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%s</text>`+"\n",
				x+barW/2, y(v)-4, trimFloat(math.Round(v*100)/100))
		}
		cx := left + float64(gi)*groupW + groupW/2
		for li, line := range c.below(g) {
			fill, size := "black", 12
			if li > 0 {
				fill, size = "#555", 11
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s" font-size="%d">%s</text>`+"\n",
				cx, up+plotH+18+16*float64(li), fill, size, html.EscapeString(line))
		}
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", left+plotW/2, up+plotH+56, html.EscapeString(c.xLabel))

	// Legend, in one row under the axis title.
	lx := left
	for _, s := range series {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="14" height="14" fill="%s"/>`+"\n", lx, height-30, seriesColors[s])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" dominant-baseline="middle">%s</text>`+"\n", lx+20, height-23, html.EscapeString(s))
		lx += 36 + 7*float64(len(s))
	}
	fmt.Fprintln(&b, `</svg>`)
	return b.Bytes()
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// niceStep rounds a raw axis step up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if f*p >= raw {
			return f * p
		}
	}
	return 10 * p
}

// trimFloat formats an axis value without trailing zeros.
func trimFloat(v float64) string {
	return fmt.Sprintf("%g", math.Round(v*1000)/1000)
}

package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"os"
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

// writeSVG draws the latency workload's p50 per setting (the x axis, in
// the order measured) as grouped bars, one bar per client, to path.
func writeSVG(path string, results []measurement, pipeline, masters int) error {
	var gs []*group
	for _, g := range groups(results) {
		if g.workload == "latency" {
			gs = append(gs, g)
		}
	}
	if len(gs) == 0 {
		return fmt.Errorf("svg: no latency measurements to draw")
	}
	var series []string
	for _, c := range clientNames {
		for _, g := range gs {
			if _, ok := g.byClient[c]; ok {
				series = append(series, c)
				break
			}
		}
	}
	maxMS := 0.0
	for _, g := range gs {
		for _, m := range g.byClient {
			maxMS = max(maxMS, ms(m.p50))
		}
	}
	step := niceStep(maxMS / 6)
	top := math.Ceil(maxMS*1.08/step) * step

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
	fmt.Fprintf(&b, `<text x="%.0f" y="24" text-anchor="middle" font-size="16" font-weight="bold">Pipeline of %d commands (half SET, half GET), %d masters: p50 latency</text>`+"\n",
		width/2, pipeline, masters)
	fmt.Fprintf(&b, `<text x="%.0f" y="44" text-anchor="middle" fill="#555">by injected one-way delay per master (proxy); below each group the measured PING round trip</text>`+"\n",
		width/2)

	// Y axis: grid lines and tick labels.
	for v := 0.0; v <= top+step/2; v += step {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, y(v), left+plotW, y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", left-6, y(v), trimFloat(v))
	}
	fmt.Fprintf(&b, `<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle">p50 latency (ms)</text>`+"\n", up+plotH/2)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", left, up, left, up+plotH)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", left, up+plotH, left+plotW, up+plotH)

	// Bars, grouped by setting.
	groupW := plotW / float64(len(gs))
	barW := groupW * 0.8 / float64(len(series))
	for gi, g := range gs {
		x0 := left + float64(gi)*groupW + groupW*0.1
		for si, s := range series {
			m, ok := g.byClient[s]
			if !ok {
				continue
			}
			v := ms(m.p50)
			x := x0 + float64(si)*barW
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: p50 %s, p99 %s</title></rect>`+"\n",
				x+1, y(v), barW-2, up+plotH-y(v), seriesColors[s], html.EscapeString(s), html.EscapeString(g.setting), fmtDur(m.p50), fmtDur(m.p99))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%s</text>`+"\n",
				x+barW/2, y(v)-4, fmt.Sprintf("%.2f", v))
		}
		cx := left + float64(gi)*groupW + groupW/2
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", cx, up+plotH+18, html.EscapeString(g.setting))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#555" font-size="11">rtt %s</text>`+"\n",
			cx, up+plotH+34, html.EscapeString(fmtRTT(g.rtt, g.perMaster)))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">injected one-way delay</text>`+"\n", left+plotW/2, up+plotH+56)

	// Legend, in one row under the axis title.
	lx := left
	for _, s := range series {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="14" height="14" fill="%s"/>`+"\n", lx, height-30, seriesColors[s])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" dominant-baseline="middle">%s</text>`+"\n", lx+20, height-23, html.EscapeString(s))
		lx += 36 + 7*float64(len(s))
	}
	fmt.Fprintln(&b, `</svg>`)
	return os.WriteFile(path, b.Bytes(), 0o644)
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

package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"
)

// config is the benchmark's command line.
type config struct {
	workloads []string       // from -workload, "all" expanded
	delays    []delaySetting // from -delays
	duration  time.Duration  // measuring time per client and setting
	masters   int            // masters of the main cluster
	pipeline  int            // commands per pipeline (latency, throughput, growth by masters)
	csvPath   string
	svgPath   string
	// child, when set, makes this process a child that runs one client
	// alone (see runAsChild).
	child *childConfig
}

// delaySetting is one injected delay: the one-way delay of each proxy,
// cycled over the masters (one value means all masters alike).
type delaySetting struct {
	name   string
	delays []time.Duration
}

// of returns the one-way delay of the proxy in front of master i.
func (d delaySetting) of(i int) time.Duration { return d.delays[i%len(d.delays)] }

// unequal is the -delays token for a different delay per master.
const unequal = "unequal"

// allWorkloads are the workloads that -workload all runs, in order.
var allWorkloads = []string{"latency", "throughput", "single", "growth", "mixed", "mixed-heap", "hol", "memory"}

// parseFlags reads the command line.
func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	workload := fs.String("workload", "all", "what to run: "+strings.Join(allWorkloads, ", ")+" or all")
	delays := fs.String("delays", "0,500us,2ms,"+unequal,
		"one-way proxy delays of the latency workload, comma separated; "+
			`"a/b/c" sets one delay per master (cycled); "`+unequal+`" is 500us/1ms/2ms`)
	duration := fs.Duration("duration", 3*time.Second, "measuring time per client and setting")
	masters := fs.Int("masters", 3, "masters of the cluster (growth also starts 9 and 30)")
	pipeline := fs.Int("pipeline", 100, "commands per pipeline, half SET and half GET")
	csvPath := fs.String("csv", "", "write one CSV row per measurement to this file")
	svgPath := fs.String("svg", "", "write the latency chart (SVG) to this file")
	child := fs.String("child", "", "internal: run this client alone on the mixed workload and print the result")
	childWorkload := fs.String("child-workload", "mixed", "internal: what the child runs: mixed or memory")
	childValues := fs.String("child-values", "", "internal: the child's value variant")
	childSeeds := fs.String("child-seeds", "", "internal: the child's cluster addresses")
	childProfile := fs.String("child-cpuprofile", "", "with -child: write a CPU profile to this file")
	childMemProfile := fs.String("child-memprofile", "", "with -child: write an allocation profile to this file")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg := config{
		duration: *duration,
		masters:  *masters,
		pipeline: *pipeline,
		csvPath:  *csvPath,
		svgPath:  *svgPath,
	}
	switch {
	case *workload == "all":
		cfg.workloads = allWorkloads
	case slices.Contains(allWorkloads, *workload):
		cfg.workloads = []string{*workload}
	default:
		return config{}, fmt.Errorf("-workload %q: want one of %s or all", *workload, strings.Join(allWorkloads, ", "))
	}
	if cfg.duration <= 0 {
		return config{}, errors.New("-duration must be positive")
	}
	if cfg.masters < 1 {
		return config{}, errors.New("-masters must be at least 1")
	}
	if cfg.pipeline < 2 {
		return config{}, errors.New("-pipeline must be at least 2 (one SET and one GET)")
	}
	var err error
	if cfg.delays, err = parseDelays(*delays); err != nil {
		return config{}, err
	}
	if *child != "" {
		cfg.child = &childConfig{client: *child, workload: *childWorkload, variant: *childValues, seeds: strings.Split(*childSeeds, ","),
			duration: cfg.duration, cpuProfile: *childProfile, memProfile: *childMemProfile}
	}
	return cfg, nil
}

// parseDelays parses the -delays list.
func parseDelays(s string) ([]delaySetting, error) {
	var out []delaySetting
	for tok := range strings.SplitSeq(s, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		spec := tok
		if tok == unequal {
			spec = "500us/1ms/2ms"
		}
		d := delaySetting{name: tok}
		for part := range strings.SplitSeq(spec, "/") {
			v, err := parseDelay(part)
			if err != nil {
				return nil, fmt.Errorf("-delays %q: %w", tok, err)
			}
			d.delays = append(d.delays, v)
		}
		if tok == unequal {
			d.name = unequal + " " + spec
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errors.New("-delays is empty")
	}
	return out, nil
}

// parseDelay parses one delay; a bare "0" is allowed.
func parseDelay(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("negative delay %s", d)
	}
	return d, nil
}

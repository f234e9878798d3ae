package consistency

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidConfig is returned (wrapped) by New for a Config that cannot
// work.
var ErrInvalidConfig = errors.New("consistency: invalid config")

// Config describes a Checker. Zero values are the documented defaults.
type Config struct {
	// Prefix starts every key the checker touches: "<Prefix>:<n>". It must
	// not hold a brace, which would change the keys' slots. Default
	// "consistency".
	Prefix string
	// Keys is how many counters there are, spread over all slots. Default
	// 1000; at most 16384.
	Keys int
	// Workers is how many goroutines run pipelines; each owns every
	// Workers-th key. Default 4; at most Keys.
	Workers int
	// Pipeline is how many INCRs (and then GETs) one pipeline holds, at
	// most the keys a worker owns. Default 20.
	Pipeline int
	// Timeout bounds one pipeline. Default 20 s: longer than the client's
	// retries (Config.RetryTimeout, 10 s by default), so that a failover
	// ends in replies rather than deadlines.
	Timeout time.Duration
	// CrashWindow is W in the crash-lost rule (see the package doc):
	// increments acknowledged by pipelines that started at most W before a
	// master was killed. Default 1 s.
	CrashWindow time.Duration
}

const (
	defaultPrefix      = "consistency"
	defaultKeys        = 1000
	defaultWorkers     = 4
	defaultPipeline    = 20
	defaultTimeout     = 20 * time.Second
	defaultCrashWindow = time.Second
	maxKeys            = 16384
)

// withDefaults returns a copy of cfg with its zero values replaced by the
// defaults, or an error when cfg is invalid.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = defaultPrefix
	}
	if cfg.Keys == 0 {
		cfg.Keys = defaultKeys
	}
	if cfg.Workers == 0 {
		cfg.Workers = defaultWorkers
	}
	if cfg.Pipeline == 0 {
		cfg.Pipeline = defaultPipeline
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.CrashWindow == 0 {
		cfg.CrashWindow = defaultCrashWindow
	}
	switch {
	case strings.ContainsAny(cfg.Prefix, "{}"):
		return cfg, fmt.Errorf("%w: Prefix %q holds a brace", ErrInvalidConfig, cfg.Prefix)
	case cfg.Keys < 1 || cfg.Keys > maxKeys:
		return cfg, fmt.Errorf("%w: Keys must be between 1 and %d, got %d", ErrInvalidConfig, maxKeys, cfg.Keys)
	case cfg.Workers < 1 || cfg.Workers > cfg.Keys:
		return cfg, fmt.Errorf("%w: Workers must be between 1 and Keys (%d), got %d", ErrInvalidConfig, cfg.Keys, cfg.Workers)
	case cfg.Pipeline < 1 || cfg.Pipeline > cfg.Keys/cfg.Workers:
		return cfg, fmt.Errorf("%w: Pipeline must be between 1 and the keys of a worker (%d), got %d",
			ErrInvalidConfig, cfg.Keys/cfg.Workers, cfg.Pipeline)
	case cfg.Timeout < 0:
		return cfg, fmt.Errorf("%w: Timeout must not be negative, got %s", ErrInvalidConfig, cfg.Timeout)
	case cfg.CrashWindow < 0:
		return cfg, fmt.Errorf("%w: CrashWindow must not be negative, got %s", ErrInvalidConfig, cfg.CrashWindow)
	}
	return cfg, nil
}

package redactor

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Config configures a Client. The zero value of every field but Addrs is a
// usable default.
type Config struct {
	// Addrs are addresses ("host:port") of cluster nodes to load the
	// cluster's layout from. Any reachable node will do; the client finds
	// the others.
	Addrs []string

	// SerialPipelines makes pipelines send their node batches one after
	// another, each after the previous one's replies, instead of all at once.
	// A pipeline may override it with WithParallel. Default: false (parallel).
	SerialPipelines bool

	// DialTimeout bounds connecting to a node. Default: 5s.
	DialTimeout time.Duration

	// ActorSystem is the protoactor-go system to run the client's actors in.
	// Default: a system of the client's own, shut down by Close. With a
	// system of yours, Close stops the client's actors and leaves the system
	// running.
	ActorSystem *actor.ActorSystem

	// Logger receives the actor system's log when the client makes its own
	// system. Default: nothing is logged.
	Logger *slog.Logger
}

// withDefaults returns a copy of cfg with defaults filled in, or an error for
// a setting that cannot work.
func (cfg Config) withDefaults() (Config, error) {
	if len(cfg.Addrs) == 0 {
		return cfg, ErrNoAddrs
	}
	for _, a := range cfg.Addrs {
		if a == "" {
			return cfg, fmt.Errorf("%w: empty address in Addrs", ErrNoAddrs)
		}
	}
	cfg.Addrs = append([]string(nil), cfg.Addrs...)
	if cfg.DialTimeout < 0 {
		return cfg, fmt.Errorf("redactor: negative DialTimeout %v", cfg.DialTimeout)
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return cfg, nil
}

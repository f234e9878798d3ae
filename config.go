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

	// ReadTimeout is how long a connection waits for replies (of commands
	// that do not block, such as BLPOP) before it takes its node for dead:
	// the unanswered commands get ErrUnknownOutcome (read-only ones are
	// retried), and the client reconnects and refreshes its slot map. It
	// is what detects a node that hangs or is cut off without closing the
	// connection. Default: 5s; negative: no limit.
	ReadTimeout time.Duration

	// MaxRedirects is how many MOVED/ASK redirects one command may follow
	// before it gets ErrTooManyRedirects. Default: 5.
	MaxRedirects int

	// RetryTimeout bounds how long after Exec starts a command is retried
	// while its node is unavailable (TRYAGAIN, CLUSTERDOWN, LOADING,
	// MASTERDOWN, unreachable during a failover); the context's deadline
	// may end it sooner. Default: 10s.
	RetryTimeout time.Duration

	// RetryUnsafe re-sends every command whose connection broke after it was
	// written, accepting that it may run twice. By default only read-only
	// commands are re-sent; the others get ErrUnknownOutcome.
	RetryUnsafe bool

	// MinRefreshInterval is the least time between two loads of the slot
	// map, however many redirects ask for one. Default: 100ms.
	MinRefreshInterval time.Duration

	// RefreshInterval, when positive, reloads the slot map that often even
	// when no redirect asked for it. Default: 0 (only on demand).
	RefreshInterval time.Duration

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
	switch {
	case cfg.ReadTimeout == 0:
		cfg.ReadTimeout = 5 * time.Second
	case cfg.ReadTimeout < 0:
		cfg.ReadTimeout = 0
	}
	for name, d := range map[string]time.Duration{
		"DialTimeout": cfg.DialTimeout, "RetryTimeout": cfg.RetryTimeout,
		"MinRefreshInterval": cfg.MinRefreshInterval, "RefreshInterval": cfg.RefreshInterval,
	} {
		if d < 0 {
			return cfg, fmt.Errorf("%w: negative %s %v", ErrInvalidConfig, name, d)
		}
	}
	if cfg.MaxRedirects < 0 {
		return cfg, fmt.Errorf("%w: negative MaxRedirects %d", ErrInvalidConfig, cfg.MaxRedirects)
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = 5
	}
	if cfg.RetryTimeout == 0 {
		cfg.RetryTimeout = 10 * time.Second
	}
	if cfg.MinRefreshInterval == 0 {
		cfg.MinRefreshInterval = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return cfg, nil
}

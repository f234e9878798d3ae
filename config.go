package redactor

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.opentelemetry.io/otel/metric"

	"github.com/redactor-go/redactor/actors"
	"github.com/redactor-go/redactor/resp"
)

// Config configures a Client. The zero value of every field but Addrs is a
// usable default.
type Config struct {
	// Addrs are addresses ("host:port") of cluster nodes to load the
	// cluster's layout from. Any reachable node will do; the client finds
	// the others.
	Addrs []string

	// Username and Password authenticate every connection the client
	// opens (the layout load, the nodes' pipelined and dedicated
	// connections, subscriptions), with AUTH, or HELLO on RESP3. A
	// Password alone is the "default" user (requirepass). Default: none.
	// See docs/production.md for the least ACL rights the client needs.
	Username, Password string

	// Credentials, when set, is called for each new connection and gives
	// its user name and password, taking precedence over Username and
	// Password: for credentials that rotate. An error fails that
	// connection.
	Credentials func(ctx context.Context) (username, password string, err error)

	// ClientName, when set, names every connection (CLIENT SETNAME), as
	// CLIENT LIST shows it.
	ClientName string

	// TLS, when set, makes every connection TLS with this configuration.
	// The server's certificate is verified against ServerName when set,
	// else against the host of the node's address as the cluster announces
	// it (see cluster-preferred-endpoint-type). Default: nil (plain TCP).
	TLS *tls.Config

	// Protocol is the RESP version of the connections commands run on
	// (the pipelined ones, and those of blocking commands and Watch): 2,
	// or 3 (HELLO 3); subscriptions and the layout load stay on RESP2.
	// Each RESP type decodes to one Go type in both (see package resp),
	// but RESP3 sends some replies as types RESP2 has not: HGETALL gives
	// a map[string]any instead of a flat []any, ZSCORE a float64 instead
	// of a string. RESP3 push frames are skipped, never a command's reply
	// (Client.SkippedPushes). With 3, New opens one connection to check
	// that the cluster speaks RESP3 and fails when a node refuses it.
	// Another value fails New with ErrInvalidConfig. Default: 2.
	Protocol int

	// Dialer, when set, opens the network connections instead of a
	// net.Dialer with TCP keepalive: for a proxy, a tunnel, or a
	// net.Dialer of your own settings. It is called with network "tcp".
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

	// AddrRemap, when set, maps the address of a node as the cluster
	// announces it ("10.0.0.7:6379") to the address the client can reach
	// it at, behind NAT, in containers or in Kubernetes. The client still
	// names nodes by their announced addresses (in MOVED, Nodes, DoOn).
	// It must be safe for concurrent use.
	AddrRemap func(addr string) string

	// SerialPipelines makes pipelines send their node batches one after
	// another, each after the previous one's replies, instead of all at once.
	// A pipeline may override it with WithParallel. Default: false (parallel).
	SerialPipelines bool

	// ReadFrom says where read-only commands run: the command table flags
	// them readonly and not write, and they have keys (GET, HGET, MGET of
	// one slot, EXISTS, ...). With ReadReplicaPreferred or ReadNearest they
	// may run on replicas and return data older than the master's (Redis
	// replicates asynchronously); within one pipeline, a read of a slot
	// the pipeline writes still goes to the master, so a pipeline reads
	// its own writes. Writes, keyless commands, transactions, Watch,
	// blocking and fanned-out commands, and DoOn or WithNode run where
	// they run with ReadPrimary. A read a replica cannot serve (MOVED,
	// LOADING, unreachable) goes to the master. See
	// docs/failure-semantics.md. Default: ReadPrimary (masters only).
	ReadFrom ReadFrom

	// DialTimeout bounds opening a connection to a node: TCP, TLS and its
	// setup (AUTH, HELLO, CLIENT SETNAME). A load of the cluster's layout
	// (New's, and each reload) gives each address it tries DialTimeout plus
	// ReadTimeout (twice DialTimeout when ReadTimeout is no limit; at
	// least 1s) to connect and answer, and gives up after three times that
	// in all: New with seeds that refuse connections fails at once, with
	// seeds that accept but never answer after that long per seed (at most
	// three seeds' worth), in both cases with ErrNodeUnreachable, unless
	// ctx ends first. Default: 5s.
	DialTimeout time.Duration

	// ReadTimeout bounds the silence on a connection while replies are due:
	// a node that sends no byte for that long is taken for dead, the
	// unanswered commands get ErrUnknownOutcome (read-only ones are
	// retried), and the client reconnects and refreshes its slot map. It
	// bounds silence, not a whole batch, so a large batch whose replies
	// keep coming is never cut. A command that may block (BLPOP k 5) gets
	// its own timeout on top. It is what detects a node that hangs or is
	// cut off without closing the connection. Default: 5s; negative: no
	// limit.
	ReadTimeout time.Duration

	// WriteTimeout bounds one write to a node's connection; a node that
	// takes no bytes for that long is taken for dead. Default: 5s;
	// negative: no limit.
	WriteTimeout time.Duration

	// MaxInFlight and MaxInFlightBytes bound, on each pipelined connection
	// to a node, the commands and their argument bytes written and not yet
	// answered: the client's backpressure. A pipeline beyond the bound
	// waits, inside its context, for replies to come, in order, while the
	// other nodes' connections go on; one whose context ends while it
	// waits is dropped unwritten (ErrNotSent and ErrCanceled), so callers
	// that time out against a stalled node and try again never grow what
	// waits for it. A node batch larger than a quarter of the bound is cut
	// (between commands, never inside a transaction) and streamed through
	// it. Each node has up to three such connections (the shared one, one
	// for batches of 4 MB and more, one for replica reads). Defaults:
	// 32768 commands, 256 MiB; negative: no bound.
	MaxInFlight      int
	MaxInFlightBytes int64

	// BlockingPoolSize bounds, per node, the connections of their own that
	// commands which may block (BLPOP, BLMOVE, XREAD BLOCK, ...) run on, so
	// they never hold up the shared pipelined connection. More such
	// commands at once wait for a free connection. Default: 8.
	BlockingPoolSize int

	// PubSubBufferSize is how many messages a subscription holds for a
	// consumer that has not taken them yet; beyond it, messages are dropped
	// and counted, so a slow consumer never holds up the others. Default:
	// 1024.
	PubSubBufferSize int

	// CommandPolicies overrides where commands run and how their replies
	// merge, by lower-case name ("dbsize", or "container|sub" such as
	// "script|load"). By default the client follows the server's COMMAND
	// tips, corrected by resp.KnownPolicies. The zero Policy on a
	// multi_shard command ("mget": {}) stops the client splitting it by
	// slot (ErrCrossSlot again); RequestMultiShard on a command whose keys,
	// with their values, are the tail of its arguments makes it split, its
	// parts merged by the Response policy (the default: one value per key,
	// in key order, as MGET). See docs/commands.md.
	CommandPolicies map[string]resp.Policy

	// MaxReplyDepth bounds how deeply a reply's aggregates (arrays, maps,
	// sets) may nest: 1 allows a flat array. A deeper reply is a protocol
	// error (ErrProtocol), as is a reply beyond MaxBulkLen or
	// MaxReplyBytes: the connection it came on is closed, and the commands
	// waiting on it fail (see docs/failure-semantics.md). Raise it for a
	// script that returns tables nested deeper. Default: 512; at most
	// 65536.
	MaxReplyDepth int

	// MaxBulkLen bounds the bytes of one string of a reply (a bulk
	// string, a simple string, an error). Raise it with the server's
	// proto-max-bulk-len. Default: 512 MiB, Redis's default.
	MaxBulkLen int64

	// MaxReplyBytes, when positive, bounds the bytes of one reply, all its
	// elements included: the most memory one reply may take, short of the
	// Go values it decodes to. Default: 0, no bound, since Redis sends
	// replies of any size (KEYS, HGETALL of a large hash).
	MaxReplyBytes int64

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
	// commands are re-sent; the others get ErrUnknownOutcome. A connection
	// that broke on a malformed reply (ErrProtocol) re-sends none.
	RetryUnsafe bool

	// CloseTimeout bounds how long Close lets calls in flight finish (a
	// blocking command waiting for data holds it that long), and then how
	// long each connection reads the replies of what was written before it
	// closes. Calls still waiting then return with ErrClosed and what is
	// known of each command. Default: 1s; negative: Close does not wait.
	CloseTimeout time.Duration

	// MinRefreshInterval is the least time between two loads of the slot
	// map, however many redirects ask for one. It doubles with each load in
	// a row that finds the layout unchanged (nodes down, commands retried
	// and asking for loads that tell nothing new), up to 500ms or
	// MinRefreshInterval when larger, and is back to itself after a load
	// that changed the layout or a MOVED. Default: 100ms.
	MinRefreshInterval time.Duration

	// RefreshInterval, when positive, reloads the slot map that often even
	// when no redirect asked for it. Default: 0 (only on demand), or 5s
	// with a ReadFrom other than ReadPrimary: a replica that joins, comes
	// back or finishes its sync after a failover makes no redirect to
	// tell the client.
	RefreshInterval time.Duration

	// OnEvent, when set, is called with each of the client's events (see
	// Event), from the first layout load of New on, in order, on a
	// goroutine of its own, as an observer made by Observe: a slow OnEvent
	// loses events (beyond 1024 waiting) but never holds up the client.
	OnEvent func(Event)

	// OnBatch, when set, is called with a read-only view of each node
	// batch once all its commands have an outcome (replied, redirected,
	// failed, cancelled), on every path, on the goroutine that completed
	// it (a connection's reader, a node actor): for logs, traces or
	// metrics per batch. It must be quick and must not block. See
	// actors.BatchInfo.
	OnBatch actors.BatchObserver

	// MeterProvider, when set, makes the client record OpenTelemetry
	// metrics with a meter of it: the duration of each pipeline
	// (db.client.operation.duration), the duration and size of each node
	// batch, redirects, retries, unknown outcomes and open connections
	// per node. See docs/metrics.md for every instrument and attribute.
	// They are recorded by the observers above, next to OnBatch, which
	// still gets every batch. Default: nil, no metrics and no observer:
	// the hot path pays nothing for them.
	MeterProvider metric.MeterProvider

	// CoordinatorMiddleware and NodeMiddleware wrap the Receive of the
	// coordinators and of the node actors (protoactor receiver
	// middleware, outermost first). The coordinator's sees every pipeline
	// (*actors.Exec); a node actor's sees what passes through its mailbox,
	// but a batch for an open pipelined connection goes to the connection
	// directly, so use OnBatch to see every batch.
	CoordinatorMiddleware, NodeMiddleware []actor.ReceiverMiddleware

	// ActorSystem is the protoactor-go system to run the client's actors in.
	// Default: a system of the client's own, shut down by Close. With a
	// system of yours, Close stops the client's actors and leaves the system
	// running.
	ActorSystem *actor.ActorSystem

	// Logger receives the actor system's log when the client makes its own
	// system. Default: nothing is logged.
	Logger *slog.Logger
}

// layoutLoadAddrs is how many addresses that do not answer one layout load
// waits for, each for layoutAddrTimeout, before it fails.
const layoutLoadAddrs = 3

// minLayoutAddrTimeout is the least layoutAddrTimeout: the first load
// reads the command table, a large reply, which timeouts tuned for single
// commands must not fail.
const minLayoutAddrTimeout = time.Second

// layoutAddrTimeout bounds each address of a layout load: DialTimeout to
// connect, then ReadTimeout (DialTimeout when ReadTimeout is no limit) for
// the replies, and at least minLayoutAddrTimeout.
func (cfg Config) layoutAddrTimeout() time.Duration {
	if cfg.ReadTimeout <= 0 {
		return max(2*cfg.DialTimeout, minLayoutAddrTimeout)
	}
	return max(cfg.DialTimeout+cfg.ReadTimeout, minLayoutAddrTimeout)
}

// replicaRefreshInterval is the default RefreshInterval for replica reads.
const replicaRefreshInterval = 5 * time.Second

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
		if strings.Contains(a, "://") {
			return cfg, fmt.Errorf("%w: Addrs holds the URL %q: use ParseURL to build a Config from a URL (it takes its credentials and TLS too), or give host:port addresses", ErrInvalidConfig, redactURL(a))
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return cfg, fmt.Errorf("%w: Addrs: %q is not host:port: %w", ErrInvalidConfig, a, err)
		}
	}
	switch cfg.Protocol {
	case 0:
		cfg.Protocol = 2
	case 2, 3:
	default:
		return cfg, fmt.Errorf("%w: Protocol %d: RESP versions are 2 and 3", ErrInvalidConfig, cfg.Protocol)
	}
	if !cfg.ReadFrom.Valid() {
		return cfg, fmt.Errorf("%w: ReadFrom %v: use ReadPrimary, ReadReplicaPreferred or ReadNearest", ErrInvalidConfig, cfg.ReadFrom)
	}
	cfg.Addrs = append([]string(nil), cfg.Addrs...)
	switch {
	case cfg.ReadTimeout == 0:
		cfg.ReadTimeout = 5 * time.Second
	case cfg.ReadTimeout < 0:
		cfg.ReadTimeout = 0
	}
	switch {
	case cfg.WriteTimeout == 0:
		cfg.WriteTimeout = 5 * time.Second
	case cfg.WriteTimeout < 0:
		cfg.WriteTimeout = 0
	}
	switch {
	case cfg.MaxInFlight == 0:
		cfg.MaxInFlight = defaultMaxInFlight
	case cfg.MaxInFlight < 0:
		cfg.MaxInFlight = 0
	}
	switch {
	case cfg.MaxInFlightBytes == 0:
		cfg.MaxInFlightBytes = defaultMaxInFlightBytes
	case cfg.MaxInFlightBytes < 0:
		cfg.MaxInFlightBytes = 0
	}
	switch {
	case cfg.BlockingPoolSize < 0:
		return cfg, fmt.Errorf("%w: negative BlockingPoolSize %d", ErrInvalidConfig, cfg.BlockingPoolSize)
	case cfg.BlockingPoolSize == 0:
		cfg.BlockingPoolSize = 8
	}
	switch {
	case cfg.PubSubBufferSize < 0:
		return cfg, fmt.Errorf("%w: negative PubSubBufferSize %d", ErrInvalidConfig, cfg.PubSubBufferSize)
	case cfg.PubSubBufferSize == 0:
		cfg.PubSubBufferSize = 1024
	}
	for name := range cfg.CommandPolicies {
		if name == "" {
			return cfg, fmt.Errorf("%w: empty command name in CommandPolicies", ErrInvalidConfig)
		}
	}
	for name, d := range map[string]time.Duration{
		"DialTimeout": cfg.DialTimeout, "RetryTimeout": cfg.RetryTimeout,
		"MinRefreshInterval": cfg.MinRefreshInterval, "RefreshInterval": cfg.RefreshInterval,
	} {
		if d < 0 {
			return cfg, fmt.Errorf("%w: negative %s %v", ErrInvalidConfig, name, d)
		}
	}
	if err := cfg.limits().Validate(); err != nil {
		return cfg, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if cfg.MaxReplyDepth == 0 {
		cfg.MaxReplyDepth = resp.DefaultMaxReplyDepth
	}
	if cfg.MaxBulkLen == 0 {
		cfg.MaxBulkLen = resp.DefaultMaxBulkLen
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
	if cfg.RefreshInterval == 0 && cfg.ReadFrom != ReadPrimary {
		cfg.RefreshInterval = replicaRefreshInterval
	}
	switch {
	case cfg.CloseTimeout == 0:
		cfg.CloseTimeout = time.Second
	case cfg.CloseTimeout < 0:
		cfg.CloseTimeout = time.Nanosecond
	}
	if cfg.MinRefreshInterval == 0 {
		cfg.MinRefreshInterval = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return cfg, nil
}

// The defaults of Config.MaxInFlight and MaxInFlightBytes: far more than
// a connection needs in flight to keep its node busy (a pipe of 1 ms
// round trip at 10 Gbit/s holds about 1.2 MB), and small enough that a
// stalled node holds little. The bytes are generous because large values
// pile up in flight at full speed: with 16 goroutines pipelining values of
// up to 1 MB (the mixed benchmark), 64 MiB made parallel pipelines about
// 5-10% slower than no bound, 256 MiB within noise of it.
const (
	defaultMaxInFlight      = 32768
	defaultMaxInFlightBytes = 256 << 20
)

// limits returns the reply limits the client's connections decode by.
func (cfg *Config) limits() resp.Limits {
	return resp.Limits{MaxReplyDepth: cfg.MaxReplyDepth, MaxBulkLen: cfg.MaxBulkLen, MaxReplyBytes: cfg.MaxReplyBytes}
}

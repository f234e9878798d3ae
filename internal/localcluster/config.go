package localcluster

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// Config describes the cluster to start. Zero values are documented defaults.
type Config struct {
	// Masters is the number of masters, which share the 16384 slots evenly.
	// Default 3.
	Masters int
	// Replicas is the number of replicas per master. Default 0.
	Replicas int
	// NodeTimeout is the cluster-node-timeout of every node. Default 1s, short
	// so that failure detection and failover tests are fast.
	NodeTimeout time.Duration
	// RedisServer is the path of the redis-server binary. Default: looked up
	// in PATH.
	RedisServer string
	// Dir is the parent of the per-cluster temporary directory. Default
	// os.TempDir().
	Dir string
	// AnnouncePort, when set, is called with each node's client port and
	// returns the port the node announces to clients (cluster-announce-port),
	// e.g. the port of a proxy in front of it. The cluster bus stays direct.
	AnnouncePort func(port int) int
	// ServerArgs are more command-line arguments for every node, such as
	// "--rename-command", "GETDEL", "MYGETDEL".
	ServerArgs []string
	// Password, when set, is every node's requirepass and masterauth, and
	// the harness authenticates with it.
	Password string
	// TLS, when set, makes every node serve TLS only: port 0, tls-port,
	// tls-cluster and tls-replication, with these files. The harness
	// connects with TLS too.
	TLS *TLS
	// Logf, when set, receives progress messages (e.g. t.Logf).
	Logf func(format string, args ...any)
}

// TLS is the certificates of a TLS cluster.
type TLS struct {
	// CertFile and KeyFile are every node's certificate and key, for
	// clients and for the cluster bus; CAFile is the CA that signed them.
	CertFile, KeyFile, CAFile string
	// Client is the harness's TLS configuration, which must trust CAFile.
	Client *tls.Config
}

// ErrNoRedisServer is returned (wrapped) by Start when the redis-server binary
// cannot be found or is not executable.
var ErrNoRedisServer = errors.New("localcluster: redis-server not found; install it with: apt-get install -y redis-server")

const (
	defaultMasters     = 3
	defaultNodeTimeout = time.Second
	maxSlots           = 16384
)

// withDefaults returns cfg with its zero values replaced by the defaults, or
// an error when cfg is invalid.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Masters == 0 {
		cfg.Masters = defaultMasters
	}
	if cfg.Masters < 0 || cfg.Masters > maxSlots {
		return cfg, fmt.Errorf("localcluster: Masters must be between 1 and %d, got %d", maxSlots, cfg.Masters)
	}
	if cfg.Replicas < 0 {
		return cfg, fmt.Errorf("localcluster: Replicas must not be negative, got %d", cfg.Replicas)
	}
	if cfg.NodeTimeout == 0 {
		cfg.NodeTimeout = defaultNodeTimeout
	}
	if cfg.NodeTimeout < time.Millisecond {
		return cfg, fmt.Errorf("localcluster: NodeTimeout must be at least 1ms, got %s", cfg.NodeTimeout)
	}
	if cfg.Dir == "" {
		cfg.Dir = os.TempDir()
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return cfg, nil
}

// findRedisServer returns the path of the redis-server binary to run: path
// itself when set, otherwise redis-server looked up in PATH.
func findRedisServer(path string) (string, error) {
	if path == "" {
		path = "redis-server"
	}
	found, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("%w (%w)", ErrNoRedisServer, err)
	}
	return found, nil
}

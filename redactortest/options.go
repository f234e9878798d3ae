package redactortest

import (
	"github.com/redactor-go/redactor/internal/localcluster"
)

// Options describes the cluster to start. The zero value is a cluster of
// three masters and no replicas, without a password.
type Options struct {
	// Masters is the number of masters, which share the 16384 slots
	// evenly. Default 3.
	Masters int
	// Replicas is the number of replicas of each master. Default 0; at
	// least 1 for Failover, and for a Kill the cluster recovers from.
	Replicas int
	// Password, when set, is every node's requirepass (and masterauth);
	// Config passes it on to the client. Default: no password.
	Password string
	// ServerArgs are more redis-server command-line arguments for every
	// node, such as "--maxmemory", "10mb". Default: none.
	ServerArgs []string
	// RedisServer is the path of the redis-server binary. Default:
	// redis-server looked up in PATH.
	RedisServer string
	// Logf, when set, receives progress messages (nodes up, slots moved,
	// failovers). Default: none with Start; t.Logf with StartT.
	Logf func(format string, args ...any)
}

// config returns the localcluster configuration of o. Zero values stay
// zero: localcluster applies the same defaults and refuses bad values.
func (o Options) config() localcluster.Config {
	return localcluster.Config{
		Masters:     o.Masters,
		Replicas:    o.Replicas,
		Password:    o.Password,
		ServerArgs:  append([]string(nil), o.ServerArgs...),
		RedisServer: o.RedisServer,
		Logf:        o.Logf,
	}
}

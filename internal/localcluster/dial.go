package localcluster

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/mediocregopher/radix/v4"
)

// dial opens the harness's connection to the node at addr: over TLS and
// authenticated when the cluster is.
func (c *Cluster) dial(ctx context.Context, addr string) (radix.Conn, error) {
	d := radix.Dialer{AuthPass: c.cfg.Password}
	if t := c.cfg.TLS; t != nil {
		d.NetDialer = &tls.Dialer{NetDialer: &net.Dialer{}, Config: t.Client}
	}
	return d.Dial(ctx, "tcp", addr)
}

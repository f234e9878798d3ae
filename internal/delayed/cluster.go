// Package delayed starts a local cluster whose masters each sit behind a
// proxy that adds one-way delay, as a network would: for the examples and
// benchmarks that show what parallel pipelines save.
package delayed

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redactor-go/redactor/internal/localcluster"
	"github.com/redactor-go/redactor/internal/proxy"
)

// Start starts a cluster of masters, each behind a proxy adding delay in
// each direction; the masters announce the proxies' ports. It returns the
// proxies' addresses and a function that stops the cluster and the
// proxies.
func Start(ctx context.Context, masters int, delay time.Duration) ([]string, func(), error) {
	// AnnouncePort is called from the goroutines that start the nodes.
	var mu sync.Mutex
	var proxies []*proxy.Proxy
	var proxyErr error
	stopProxies := func() {
		for _, p := range proxies {
			p.Close()
		}
	}
	lc, err := localcluster.Start(ctx, localcluster.Config{
		Masters: masters,
		AnnouncePort: func(port int) int {
			p, err := proxy.Start(proxy.Config{Target: fmt.Sprintf("127.0.0.1:%d", port), Delay: delay})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				proxyErr = errors.Join(proxyErr, err)
				return port
			}
			proxies = append(proxies, p)
			return p.Port()
		},
	})
	if err == nil {
		err = proxyErr
	}
	if err != nil {
		if lc != nil {
			lc.Stop()
		}
		stopProxies()
		return nil, nil, err
	}
	var addrs []string
	for _, p := range proxies {
		addrs = append(addrs, p.Addr())
	}
	return addrs, func() { lc.Stop(); stopProxies() }, nil
}

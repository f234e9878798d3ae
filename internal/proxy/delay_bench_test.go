package proxy

import (
	"fmt"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkRoundTrip measures ping-pong round trips through a proxy adding
// 500us each way, over 1 to 64 concurrent links. Besides ns/op it reports
// the median and 90th percentile round trip (ideal: 1ms plus the direct
// round trip), which shows how the delay holds up as links are added.
func BenchmarkRoundTrip(b *testing.B) {
	srv := startEcho(b)
	for _, links := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("links=%d", links), func(b *testing.B) {
			p, err := Start(Config{Target: srv.addr(), Delay: 500 * time.Microsecond})
			require.NoError(b, err)
			defer p.Close()
			conns := make([]net.Conn, links)
			for i := range conns {
				conns[i] = dial(b, p.Addr())
			}
			rtts := make([][]time.Duration, links)
			var wg sync.WaitGroup
			b.ResetTimer()
			for i, c := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					msg := []byte("PING\r\n")
					for n := i; n < b.N; n += links {
						start := time.Now()
						if _, err := roundTrip(c, msg); err != nil {
							b.Error(err)
							return
						}
						rtts[i] = append(rtts[i], time.Since(start))
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			var all []time.Duration
			for _, r := range rtts {
				all = append(all, r...)
			}
			if len(all) == 0 {
				return
			}
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-us")
			b.ReportMetric(float64(all[len(all)*9/10].Microseconds()), "p90-us")
		})
	}
}

package proxy

import (
	"sort"
	"sync"
	"testing"
	"time"
)

func TestScratchConcurrentRTT(t *testing.T) {
	srv := startEcho(t)
	for _, tc := range []struct{links int; d time.Duration}{{1,0},{4,0},{16,0},{64,0},{1,500*time.Microsecond},{2,500*time.Microsecond},{4,500*time.Microsecond},{16,500*time.Microsecond},{64,500*time.Microsecond}} {
		links := tc.links
		p := startProxy(t, Config{Target: srv.addr(), Delay: tc.d})
		var mu sync.Mutex
		var all []time.Duration
		var wg sync.WaitGroup
		for range links {
			c := dial(t, p.Addr())
			wg.Add(1)
			go func() {
				defer wg.Done()
				msg := []byte("PING\r\n")
				var xs []time.Duration
				for range 200 {
					s := time.Now()
					if _, err := roundTrip(c, msg); err != nil {
						t.Error(err)
						return
					}
					xs = append(xs, time.Since(s))
				}
				mu.Lock()
				all = append(all, xs...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		t.Logf("delay %s links %d: p50 %s p90 %s p99 %s max %s", tc.d, links, all[len(all)/2], all[len(all)*9/10], all[len(all)*99/100], all[len(all)-1])
	}
}

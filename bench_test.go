package redactor_test

import (
	"fmt"
	"testing"

	"github.com/redactor-go/redactor"
)

// BenchmarkPipeline100 runs pipelines of 50 SET and 50 GET over keys of all
// masters; allocs/command is what one command costs in allocations.
func BenchmarkPipeline100(b *testing.B) {
	for _, parallel := range []bool{true, false} {
		b.Run(map[bool]string{true: "parallel", false: "serial"}[parallel], func(b *testing.B) {
			ctx := b.Context()
			c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			keys := make([]string, 50)
			for i := range keys {
				keys[i] = fmt.Sprintf("bench:%d", i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				p := c.Pipeline(redactor.WithParallel(parallel))
				for _, k := range keys {
					p.Do("SET", k, "value")
				}
				for _, k := range keys {
					p.Do("GET", k)
				}
				if _, err := p.Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			allocs := testing.AllocsPerRun(20, func() {
				p := c.Pipeline(redactor.WithParallel(parallel))
				for _, k := range keys {
					p.Do("SET", k, "value")
					p.Do("GET", k)
				}
				_, _ = p.Exec(ctx)
			})
			b.ReportMetric(allocs/100, "allocs/command")
		})
	}
}

// BenchmarkDoConcurrent calls Client.Do from many goroutines at once.
func BenchmarkDoConcurrent(b *testing.B) {
	ctx := b.Context()
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	b.SetParallelism(100)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if r := c.Do(ctx, "GET", fmt.Sprintf("bench:%d", i%50)); r.Err != nil {
				b.Error(r.Err)
				return
			}
			i++
		}
	})
}

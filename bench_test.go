package redactor_test

import (
	"context"
	"fmt"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/redactor-go/redactor"
)

// BenchmarkPipeline100 runs pipelines of 50 SET and 50 GET over keys of all
// masters; allocs/command is what one command costs in allocations.
func BenchmarkPipeline100(b *testing.B) {
	for _, parallel := range []bool{true, false} {
		b.Run(map[bool]string{true: "parallel", false: "serial"}[parallel], func(b *testing.B) {
			benchPipeline100(b, redactor.Config{}, parallel)
		})
	}
}

// BenchmarkPipeline100Metrics is BenchmarkPipeline100 with OpenTelemetry
// metrics on: the SDK's MeterProvider with a ManualReader, collected once
// at the end. Its ratio to BenchmarkPipeline100 is what metrics cost.
func BenchmarkPipeline100Metrics(b *testing.B) {
	for _, parallel := range []bool{true, false} {
		b.Run(map[bool]string{true: "parallel", false: "serial"}[parallel], func(b *testing.B) {
			benchPipeline100(b, redactor.Config{MeterProvider: benchMeterProvider(b)}, parallel)
		})
	}
}

func benchPipeline100(b *testing.B, cfg redactor.Config, parallel bool) {
	ctx := b.Context()
	cfg.Addrs = cluster.Addrs()
	c, err := redactor.New(ctx, cfg)
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
}

// BenchmarkDoConcurrent calls Client.Do from many goroutines at once.
func BenchmarkDoConcurrent(b *testing.B) {
	benchDoConcurrent(b, redactor.Config{})
}

// BenchmarkDoConcurrentMetrics is BenchmarkDoConcurrent with OpenTelemetry
// metrics on (see BenchmarkPipeline100Metrics).
func BenchmarkDoConcurrentMetrics(b *testing.B) {
	benchDoConcurrent(b, redactor.Config{MeterProvider: benchMeterProvider(b)})
}

func benchDoConcurrent(b *testing.B, cfg redactor.Config) {
	ctx := b.Context()
	cfg.Addrs = cluster.Addrs()
	c, err := redactor.New(ctx, cfg)
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

// benchMeterProvider returns an SDK MeterProvider with a ManualReader,
// collected when the benchmark ends, as an exporter would.
func benchMeterProvider(b *testing.B) *sdkmetric.MeterProvider {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	b.Cleanup(func() {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			b.Error(err)
		}
		_ = mp.Shutdown(context.Background())
	})
	return mp
}

package redactor_test

import (
	"context"
	"fmt"
	"sort"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/redactor-go/redactor"
)

// With a MeterProvider the client records each pipeline's duration, and
// the duration and size of each node batch.
func ExampleConfig_meterProvider() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader() // in a service: a PeriodicReader and an exporter
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	c, err := redactor.New(ctx, redactor.Config{Addrs: cluster.Addrs(), MeterProvider: mp})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	p := c.Pipeline()
	for _, k := range []string{"a", "b", "c"} {
		p.Do("SET", "example:metrics:{1}:"+k, "v") // one slot: one batch
	}
	if _, err := p.Exec(ctx); err != nil {
		fmt.Println(err)
		return
	}
	c.Do(ctx, "GET", "example:metrics:{1}:a")

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		fmt.Println(err)
		return
	}
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch data := m.Data.(type) {
		case metricdata.Histogram[float64]:
			for _, dp := range data.DataPoints {
				name, _ := dp.Attributes.Value("db.operation.name")
				if m.Name == "db.client.operation.duration" {
					lines = append(lines, fmt.Sprintf("%s %q: %d", m.Name, name.AsString(), dp.Count))
				}
			}
		case metricdata.Histogram[int64]:
			for _, dp := range data.DataPoints {
				lines = append(lines, fmt.Sprintf("%s: %d batches, %d commands", m.Name, dp.Count, dp.Sum))
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// db.client.operation.duration "GET": 1
	// db.client.operation.duration "PIPELINE SET": 1
	// redactor.batch.commands: 2 batches, 4 commands
}

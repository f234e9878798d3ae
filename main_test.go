package redactor_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/redactor-go/redactor/internal/localcluster"
)

// cluster is the real cluster the package's tests share: 3 masters with one
// replica each, started by TestMain and stopped when the tests end.
var cluster *localcluster.Cluster

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	var err error
	cluster, err = localcluster.Start(ctx, localcluster.Config{Masters: 3, Replicas: 1})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the test cluster:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := cluster.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the test cluster:", err)
		code = 1
	}
	// Every client the tests made is closed by now: none may leave a
	// goroutine behind.
	if code == 0 {
		// protoactor starts a goroutine that lives 1 s after a dead letter
		// (its log throttle), e.g. a Stop that reaches a node actor that
		// crashed as its node was killed; it ends by itself.
		if err := goleak.Find(goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1")); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left behind:", err)
			code = 1
		}
	}
	os.Exit(code)
}

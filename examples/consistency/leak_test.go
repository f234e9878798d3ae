package main

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that a run leaves no goroutine behind: the checker's
// workers, the printer, the client and the cluster all stop.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		// protoactor starts a goroutine that lives 1 s after a dead letter
		// (its log throttle), e.g. for a node actor whose node was killed;
		// it ends by itself.
		if err := goleak.Find(goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1")); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left behind:", err)
			code = 1
		}
	}
	os.Exit(code)
}

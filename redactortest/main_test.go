package redactortest

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if helper := os.Getenv(helperEnv); helper != "" {
		reportHelper(helper)
		os.Exit(code)
	}
	// Every cluster and client the tests made is gone by now.
	if code == 0 {
		// protoactor starts a goroutine that lives 1 s after a dead letter
		// (its log throttle); it ends by itself.
		if err := goleak.Find(goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1")); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left behind:", err)
			code = 1
		}
	}
	os.Exit(code)
}

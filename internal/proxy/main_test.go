package proxy

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestMain fails the run when goroutines outlive the tests (the module takes
// no dependency on goleak, so the count is polled).
func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 && !goroutinesBackTo(before, 5*time.Second) {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		fmt.Fprintf(os.Stderr, "goroutines leaked: %d, was %d\n%s\n", runtime.NumGoroutine(), before, buf[:n])
		code = 1
	}
	os.Exit(code)
}

// goroutinesBackTo polls until at most n goroutines run, or timeout passes.
func goroutinesBackTo(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

//go:build !linux

package localcluster

import (
	"os"
	"syscall"
)

// sysProcAttr returns nil: process groups and parent-death signals are only
// set up on Linux. Elsewhere, nodes outlive a test binary that dies without
// calling Stop.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalProcess sends sig to p.
func signalProcess(p *os.Process, sig syscall.Signal) error { return p.Signal(sig) }

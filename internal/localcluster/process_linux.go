package localcluster

import (
	"os"
	"syscall"
)

// sysProcAttr puts each node in its own process group and has the kernel
// SIGKILL it when the test binary dies, even on panic or SIGKILL.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalProcess sends sig to p. SIGKILL goes to p's whole process group (p and
// any child it forked, e.g. for replication), which p leads since it was
// started with Setpgid.
func signalProcess(p *os.Process, sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		if err := syscall.Kill(-p.Pid, sig); err == nil {
			return nil
		}
	}
	return p.Signal(sig)
}

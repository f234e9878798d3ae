package localcluster

import (
	"fmt"
	"syscall"
)

// Pause sends SIGSTOP to the node whose client address is addr: the
// process stays, its ports keep accepting TCP connections (the kernel
// completes the handshake), but it answers nothing, neither clients nor
// the cluster bus, as a hung server. Resume undoes it; Stop resumes a
// paused node before stopping it. Pausing a paused node is a no-op.
func (c *Cluster) Pause(addr string) error {
	return c.signalNode(addr, syscall.SIGSTOP, true)
}

// Resume sends SIGCONT to a node Pause stopped: it goes on where it was,
// with its data and its connections. Resuming a node that is not paused
// is a no-op.
func (c *Cluster) Resume(addr string) error {
	return c.signalNode(addr, syscall.SIGCONT, false)
}

// signalNode sends sig to the node at addr and records it as paused or not.
func (c *Cluster) signalNode(addr string, sig syscall.Signal, paused bool) error {
	n, err := c.nodeByAddr(addr)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n.info.Killed {
		return fmt.Errorf("localcluster: %s %s: the node was killed", sig, addr)
	}
	if n.paused == paused {
		return nil
	}
	if err := n.proc.signal(sig); err != nil {
		return err
	}
	n.paused = paused
	c.cfg.Logf("localcluster: sent %s to %s", sig, n.name())
	return nil
}

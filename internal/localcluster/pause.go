package localcluster

import (
	"fmt"
	"syscall"
)

// Pause stops the node whose client address is addr with SIGSTOP: its
// process keeps its sockets, and the kernel keeps accepting connections
// and bytes for it, but it answers nothing until Resume. It is how a test
// makes a master stall without closing anything. Stop resumes a paused
// node before stopping it.
func (c *Cluster) Pause(addr string) error {
	return c.pauseOrResume(addr, syscall.SIGSTOP, true)
}

// Resume continues a node paused by Pause (SIGCONT).
func (c *Cluster) Resume(addr string) error {
	return c.pauseOrResume(addr, syscall.SIGCONT, false)
}

func (c *Cluster) pauseOrResume(addr string, sig syscall.Signal, pause bool) error {
	n, err := c.nodeByAddr(addr)
	if err != nil {
		return fmt.Errorf("localcluster: %s %s: %w", sig, addr, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n.info.Killed {
		return fmt.Errorf("localcluster: %s %s: the node was killed", sig, addr)
	}
	if err := n.proc.signal(sig); err != nil {
		return err
	}
	n.paused = pause
	if pause {
		c.cfg.Logf("localcluster: paused %s", n.name())
	} else {
		c.cfg.Logf("localcluster: resumed %s", n.name())
	}
	return nil
}

package localcluster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	// stopGrace is how long stop waits after SIGTERM before SIGKILL.
	stopGrace = 2 * time.Second
	// logTailBytes bounds how much of a node's logs goes into an error.
	logTailBytes = 2048
)

// process is one redis-server started by this package. A goroutine reaps it
// as soon as it exits, so that an early exit is noticed at once and the
// process never lingers as a zombie.
type process struct {
	cmd     *exec.Cmd
	logFile string        // redis.log, written by redis-server itself
	outFile string        // stdout and stderr, e.g. command-line errors
	done    chan struct{} // closed once the process has exited and been reaped
	waitErr error         // result of cmd.Wait, set before done is closed
}

// startProcess runs bin with args in dir. Standard output and error go to
// dir/stdout.log; args are expected to send the server log to logFile.
func startProcess(bin, dir, logFile string, args []string) (*process, error) {
	outFile := filepath.Join(dir, "stdout.log")
	out, err := os.Create(outFile)
	if err != nil {
		return nil, fmt.Errorf("localcluster: create %s: %w", outFile, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("localcluster: start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, logFile: logFile, outFile: outFile, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = out.Close()
		close(p.done)
	}()
	return p, nil
}

// pid returns the process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has exited (and been reaped).
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL to the process and its process group and waits until it
// has been reaped.
func (p *process) kill() error {
	if err := p.signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-p.done
	return nil
}

// stop sends SIGTERM, then SIGKILL if the process is still running after
// grace, and waits until it has been reaped.
func (p *process) stop(grace time.Duration) error {
	if err := p.signal(syscall.SIGTERM); err != nil {
		return err
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
		return p.kill()
	}
}

// signal sends sig to the process (and, for SIGKILL, its process group) unless
// it has already been reaped, in which case its pid may belong to someone else.
func (p *process) signal(sig syscall.Signal) error {
	if p.exited() {
		return nil
	}
	if err := signalProcess(p.cmd.Process, sig); err != nil && !errors.Is(err, os.ErrProcessDone) && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("localcluster: send %s to pid %d: %w", sig, p.pid(), err)
	}
	return nil
}

// exitError describes an unexpected exit of the process, with the tail of its
// logs. It must only be called once the process has exited.
func (p *process) exitError(name string) error {
	return fmt.Errorf("localcluster: %s exited unexpectedly: %w%s", name, p.waitErr, p.logTail())
}

// logTail returns the last lines of the process's output and log, formatted
// to be appended to an error message, or "" when both are empty.
func (p *process) logTail() string {
	var b strings.Builder
	for _, f := range []string{p.outFile, p.logFile} {
		if tail := fileTail(f, logTailBytes); tail != "" {
			fmt.Fprintf(&b, "\n--- tail of %s ---\n%s", f, tail)
		}
	}
	return b.String()
}

// fileTail returns up to n bytes from the end of the file, starting at a line
// boundary, or "" when the file cannot be read.
func fileTail(name string, n int64) string {
	f, err := os.Open(name)
	if err != nil {
		return ""
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(info.Size()-n, 0)
	data, err := io.ReadAll(io.NewSectionReader(f, off, info.Size()-off))
	if err != nil {
		return ""
	}
	if off > 0 {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	return strings.TrimRight(string(data), "\n")
}

//go:build !linux

package proxy

import "time"

// fineSleep reports false: there is no fine sleep outside Linux, so the
// pacer spins with runtime.Gosched through the last coarseMargin before a
// deadline, which is as accurate but burns a CPU meanwhile.
func fineSleep(time.Duration) bool {
	return false
}

package proxy

import (
	"syscall"
	"time"
	"unsafe"
)

// fineSleep sleeps for d (at most fineSlice) with a nanosleep that keeps
// the P: it is a raw system call, so the scheduler neither hands the P to
// another thread nor makes the pacer queue for one when it wakes, and no CPU
// is burned. The thread's timer slack is set to 1ns first (it is 50us by
// default), so that the kernel wakes it within some microseconds. Holding
// the P for at most fineSlice is acceptable for a test proxy (a GC stop may
// wait that long). It reports true: it did sleep.
func fineSleep(d time.Duration) bool {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_TIMERSLACK, 1, 0)
	ts := syscall.NsecToTimespec(int64(d))
	_, _, _ = syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
	return true
}

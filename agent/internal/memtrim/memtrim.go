// Package memtrim hands memory the agent no longer uses back to the
// kernel after its bursts (the initial sync, checkpoints, flushes): the
// Go heap's free pages, and the pages of its own binary that only the
// burst or start-up touched.
//
// A Go binary's code and read-only data are mapped from its file; each
// page a process touches stays in its RSS (and counts in a container's
// working set) until unmapped, though the start-up code — package
// initialisation, the client and scheme set-up — never runs again.
// Dropping them (madvise MADV_DONTNEED on the read-only, never-written
// mappings of the executable) is safe: a page touched again is mapped
// again from the page cache (a minor fault), so what stays mapped is what
// the agent keeps running.
package memtrim

import (
	"runtime/debug"
	"sync/atomic"
)

// Trim returns the heap's free pages to the kernel (a GC first) and
// drops the binary's read-only pages from the process's mappings. It
// costs one GC of the live heap and a read of /proc/self/smaps.
func Trim() {
	debug.FreeOSMemory()
	if n, err := dropText(); err == nil {
		dropped.Add(n)
	}
}

var dropped atomic.Int64

// Dropped is the bytes of the binary's mappings dropped so far (each
// Trim counts the whole read-only mappings it advised).
func Dropped() int64 { return dropped.Load() }

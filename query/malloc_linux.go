//go:build linux && cgo

package query

/*
#include <malloc.h>
*/
import "C"

import (
	"os"
	"sync"
)

var arenasOnce sync.Once

// limitMallocArenas caps glibc's malloc arenas (what DuckDB allocates
// outside jemalloc: catalog, per-query state) at 2, unless
// MALLOC_ARENA_MAX says otherwise. By default glibc opens up to 8 per CPU
// as cgo calls arrive on more and more threads, and each keeps what it
// freed: a long-running process's RSS creeps up.
func limitMallocArenas() {
	arenasOnce.Do(func() {
		if os.Getenv("MALLOC_ARENA_MAX") == "" {
			C.mallopt(C.M_ARENA_MAX, 2)
		}
	})
}

// MallocStats is glibc malloc's view of the memory it manages (mallinfo2):
// Arena is what its arenas hold from the OS (main heap and the others'
// mmapped heaps), InUse what is allocated of it, Free what is held but
// free, Mmapped the large allocations mapped on their own.
type MallocStats struct{ Arena, InUse, Free, Mmapped uint64 }

// Malloc reports glibc malloc's statistics.
func Malloc() MallocStats {
	m := C.mallinfo2()
	return MallocStats{Arena: uint64(m.arena), InUse: uint64(m.uordblks), Free: uint64(m.fordblks), Mmapped: uint64(m.hblkhd)}
}

// MallocTrim returns glibc malloc's free pages to the OS (malloc_trim(0)).
func MallocTrim() { C.malloc_trim(0) }

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

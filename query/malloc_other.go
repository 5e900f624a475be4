//go:build !linux || !cgo

package query

func limitMallocArenas() {}

// MallocStats is glibc malloc's view of the memory it manages (Linux only).
type MallocStats struct{ Arena, InUse, Free, Mmapped uint64 }

// Malloc reports nothing outside Linux.
func Malloc() MallocStats { return MallocStats{} }

// MallocTrim does nothing outside Linux.
func MallocTrim() {}

//go:build !linux || !cgo

package query

func limitMallocArenas() {}

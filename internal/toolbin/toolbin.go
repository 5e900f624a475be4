// Package toolbin finds the binaries scripts/tools/install builds for the
// tests and benchmarks (MinIO, etcd, kube-apiserver, kwok, the Lambda
// runtime emulator, Helm…).
package toolbin

import (
	"os"
	"path/filepath"
)

// Dir is where scripts/tools/install puts them: $ATLHYPER_BIN, else
// $ATLHYPER_CACHE/bin, else atlhyper/bin under the user's cache directory
// (the temporary directory when there is none).
func Dir() string {
	if dir := os.Getenv("ATLHYPER_BIN"); dir != "" {
		return dir
	}
	cache := os.Getenv("ATLHYPER_CACHE")
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		cache = filepath.Join(base, "atlhyper")
	}
	return filepath.Join(cache, "bin")
}

// Path is the tool name in Dir, unless the environment variable env names
// another file.
func Path(env, name string) string {
	if env != "" {
		if p := os.Getenv(env); p != "" {
			return p
		}
	}
	return filepath.Join(Dir(), name)
}

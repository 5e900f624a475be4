package images

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// triplet is Debian's multiarch name of a GOARCH.
var triplet = map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}

// libDirs are where this machine keeps arch's shared libraries: the
// system's own for the native arch, Debian's cross packages
// (libc6-<arch>-cross, libstdc++6-<arch>-cross) otherwise.
func libDirs(arch string) []string {
	t := triplet[arch]
	if arch == runtime.GOARCH {
		return []string{"/lib/" + t, "/usr/lib/" + t, "/lib64", "/usr/lib64", "/lib"}
	}
	return []string{"/usr/" + t + "/lib", "/usr/" + t + "/lib64"}
}

// dynamicDeps is what a dynamically linked binary needs to start: its
// ELF interpreter (the dynamic loader) and every shared library it or
// they need, found in dirs (like ldd, but for any arch, without running
// it). Each is placed where the loader looks without ld.so.cache: the
// interpreter at its own path, libraries in /lib/<triplet>. A static
// binary needs nothing.
func dynamicDeps(bin, arch string, dirs []string) ([]entry, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var interp string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return nil, fmt.Errorf("%s: interpreter: %w", bin, err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if interp == "" {
		return nil, nil
	}
	find := func(name string) (string, error) {
		for _, d := range dirs {
			p := filepath.Join(d, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return filepath.EvalSymlinks(p)
			}
		}
		return "", fmt.Errorf("%s needs %s, which is in none of %v (install Debian's %s libraries)", filepath.Base(bin), name, dirs, arch)
	}
	loader, err := find(path.Base(interp))
	if err != nil {
		return nil, err
	}
	out := []entry{{path: interp, src: loader, mode: 0o755}}
	seen := map[string]bool{path.Base(interp): true}
	queue := []string{bin}
	for len(queue) > 0 {
		lf, err := elf.Open(queue[0])
		if err != nil {
			return nil, err
		}
		needed, err := lf.ImportedLibraries()
		lf.Close()
		if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
			return nil, fmt.Errorf("%s: %w", queue[0], err)
		}
		queue = queue[1:]
		sort.Strings(needed)
		for _, name := range needed {
			if seen[name] {
				continue
			}
			seen[name] = true
			src, err := find(name)
			if err != nil {
				return nil, err
			}
			out = append(out, entry{path: "/lib/" + triplet[arch] + "/" + name, src: src, mode: 0o755})
			queue = append(queue, src)
		}
	}
	return out, nil
}

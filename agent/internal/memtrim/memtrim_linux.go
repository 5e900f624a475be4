//go:build linux

package memtrim

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// region is a mapping of the executable's file.
type region struct {
	start, end uintptr
}

// dropText advises away the executable's read-only file mappings that
// hold no private (written) page, and returns their size.
func dropText() (int64, error) {
	regions, err := readOnlyText()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, r := range regions {
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, r.start, r.end-r.start, unix.MADV_DONTNEED); errno != 0 {
			return n, fmt.Errorf("memtrim: madvise: %w", errno)
		}
		n += int64(r.end - r.start)
	}
	return n, nil
}

// readOnlyText lists the mappings of /proc/self/exe that are not
// writable and whose pages are all clean and file-backed (no
// copy-on-write page: dropping one would lose what was written, e.g.
// relocations of a position-independent binary).
func readOnlyText() ([]region, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("memtrim: %w", err)
	}
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return nil, fmt.Errorf("memtrim: %w", err)
	}
	var out []region
	var cur *region // the mapping being read, if it is a candidate
	keep := false
	flush := func() {
		if cur != nil && keep {
			out = append(out, *cur)
		}
		cur, keep = nil, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") { // a mapping's header
			flush()
			if len(f) < 6 || strings.Join(f[5:], " ") != exe || len(f[1]) != 4 || f[1][1] == 'w' || f[1][3] != 'p' {
				continue
			}
			lo, hi, ok := strings.Cut(f[0], "-")
			if !ok {
				continue
			}
			s, err1 := strconv.ParseUint(lo, 16, 64)
			e, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 != nil || err2 != nil || e <= s {
				continue
			}
			cur, keep = &region{start: uintptr(s), end: uintptr(e)}, true
			continue
		}
		if cur == nil || len(f) < 2 {
			continue
		}
		switch f[0] {
		case "Anonymous:", "Swap:": // copy-on-write pages (dirty pages of the file itself are its page cache's)
			if f[1] != "0" {
				keep = false
			}
		}
	}
	flush()
	return out, sc.Err()
}

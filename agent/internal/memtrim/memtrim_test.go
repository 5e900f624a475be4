//go:build linux

package memtrim

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// exeRSS is the resident KiB of the test binary's read-only mappings.
func exeRSS(t *testing.T) int {
	t.Helper()
	regions, err := readOnlyText()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		if lo, _, ok := strings.Cut(fs[0], "-"); ok && !strings.HasSuffix(fs[0], ":") {
			s, _ := strconv.ParseUint(lo, 16, 64)
			in = false
			for _, r := range regions {
				in = in || uintptr(s) == r.start
			}
			continue
		}
		if in && fs[0] == "Rss:" {
			n, _ := strconv.Atoi(fs[1])
			total += n
		}
	}
	return total
}

func TestTrimDropsTheBinarysPagesAndKeepsItRunning(t *testing.T) {
	regions, err := readOnlyText()
	if err != nil {
		t.Fatal(err)
	}
	if len(regions) < 1 {
		t.Fatal("no read-only mapping of the executable found in /proc/self/smaps")
	}
	before := exeRSS(t)
	Trim()
	after := exeRSS(t)
	t.Logf("read-only mappings of the test binary: %d KiB resident before Trim, %d KiB after", before, after)
	if after >= before {
		t.Fatalf("resident KiB of the binary's read-only mappings: %d before Trim, %d after; want fewer", before, after)
	}
	if Dropped() <= 0 {
		t.Fatalf("Dropped() = %d after Trim", Dropped())
	}
	// The code dropped runs again, mapped back from the file.
	var b strings.Builder
	for i := range 1000 {
		b.WriteString(strconv.Itoa(i))
	}
	if b.Len() != 2890 {
		t.Fatalf("built %d bytes after Trim, want 2890", b.Len())
	}
}

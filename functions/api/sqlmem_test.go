package api_test

import (
	"bufio"
	"encoding/json"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/atlhyper/atlhyper/functions/adhoc"
	"github.com/atlhyper/atlhyper/functions/auth"
)

// procStatus reads a field of /proc/self/status in bytes: VmRSS (resident
// now) or VmHWM (resident at its peak since the last reset).
func procStatus(t *testing.T, field string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// TestSQLResultMemoryBounded: a query whose result is 100 MB (100,000
// rows of 1 KB, within the row cap) fails with result_too_large, and the
// process's peak resident memory (Go heap and DuckDB's, measured by the
// kernel) grows by well under the result's size while it runs: the result
// is never held whole, neither by DuckDB nor in Go.
func TestSQLResultMemoryBounded(t *testing.T) {
	s := newStack(t)
	v := s.tokens[auth.Viewer]
	body := map[string]any{"sql": "SELECT repeat('x', 1000) || range AS s FROM range(100000)", "max_rows": adhoc.MaxRows}
	// Warm up: the first SQL query opens the sandbox instance.
	if st, data, _ := s.raw(t, "POST", "/api/v1/sql", v, map[string]any{"sql": "SELECT 1"}); st != 200 {
		t.Fatalf("warm-up: %d %s", st, data)
	}
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil { // resets VmHWM
		t.Fatal(err)
	}
	base := procStatus(t, "VmRSS")
	st, data, _ := s.raw(t, "POST", "/api/v1/sql", v, body)
	growth := procStatus(t, "VmHWM") - base
	var e struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(data, &e)
	if st != 400 || e.Error.Code != "result_too_large" || !strings.Contains(e.Error.Message, "32 MiB") {
		t.Fatalf("100 MB result: %d %.300s", st, data)
	}
	t.Logf("peak RSS grew by %.1f MiB for a 100 MB result (cap %d MiB)", float64(growth)/(1<<20), adhoc.DefaultMaxBytes>>20)
	if growth > 96<<20 {
		t.Fatalf("peak RSS grew by %.1f MiB while a 100 MB result was refused: it was buffered", float64(growth)/(1<<20))
	}
	// Under the cap, the same kind of query answers whole.
	body["sql"] = "SELECT repeat('x', 1000) || range AS s FROM range(20000)"
	var res adhoc.JSONResult
	if st := s.do(t, "POST", "/api/v1/sql", v, body, &res); st != 200 || res.RowCount != 20000 || len(res.Rows) != 20000 {
		t.Fatalf("20 MB result: %d, %d rows", st, res.RowCount)
	}
}

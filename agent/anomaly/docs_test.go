package anomaly

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDocsRuleTable keeps the rule table of docs/agent.md equal to
// Defaults: every rule once, with its severity, threshold, clear-after,
// log-tail flag and Doc line. Edit the table by hand when a rule changes.
func TestDocsRuleTable(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "agent.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "<!-- anomaly-rules:begin -->")
	table, _, ok2 := strings.Cut(rest, "<!-- anomaly-rules:end -->")
	if !ok || !ok2 {
		t.Fatalf("%s: anomaly-rules markers missing", path)
	}

	documented := map[string][]string{}
	var order []string
	for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 6 {
			t.Errorf("%s: rule table row has %d cells, want 6: %q", path, len(cells), line)
			continue
		}
		if cells[0] == "rule" || strings.HasPrefix(cells[0], "---") {
			continue // header and separator
		}
		name := strings.Trim(cells[0], "`")
		if _, dup := documented[name]; dup {
			t.Errorf("%s: rule %s listed twice", path, name)
		}
		documented[name] = cells[1:]
		order = append(order, name)
	}

	for _, r := range Defaults {
		got, ok := documented[r.Name]
		if !ok {
			t.Errorf("%s: rule %s is missing from the table", path, r.Name)
			continue
		}
		logs := ""
		if r.Logs {
			logs = "yes"
		}
		want := []string{r.Severity, docDuration(r.Threshold), docDuration(r.ClearAfter), logs, r.Doc}
		for i, col := range []string{"severity", "threshold", "clear after", "log tail", "condition"} {
			if got[i] != want[i] {
				t.Errorf("%s: rule %s: %s is %q, want %q", path, r.Name, col, got[i], want[i])
			}
		}
		delete(documented, r.Name)
	}
	for _, name := range order {
		if _, extra := documented[name]; extra {
			t.Errorf("%s: rule %s is documented but the engine has no such rule", path, name)
		}
	}
}

// docDuration writes a rule duration as the table does: "—", "90 s",
// "10 min", "2 h".
func docDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "—"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return d.String()
}

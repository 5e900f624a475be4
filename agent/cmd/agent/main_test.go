package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDocsFlagTable keeps docs/agent.md's flag table equal to the flags:
// every flag documented with its ATLHYPER_ variable and its default.
func TestDocsFlagTable(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/agent.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `--([a-z-]+)` \\| `([A-Z_]+)` \\| ([^|]+) \\|")
	documented := map[string][2]string{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = [2]string{m[2], strings.TrimSpace(m[3])}
	}
	fs := newFlagSet(&options{})
	fs.VisitAll(func(f *flag.Flag) {
		d, ok := documented[f.Name]
		if !ok {
			t.Errorf("--%s is not in docs/agent.md's flag table", f.Name)
			return
		}
		delete(documented, f.Name)
		if want := "ATLHYPER_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")); d[0] != want {
			t.Errorf("--%s documented with %s, reads %s", f.Name, d[0], want)
		}
		if def, quoted := strings.CutPrefix(d[1], "`"); quoted && f.DefValue != "" && f.Name != "instance" {
			def = strings.TrimSuffix(def, "`")
			if dd, err := time.ParseDuration(def); err == nil {
				def = dd.String()
			}
			if def != f.DefValue {
				t.Errorf("--%s documented default %s, is %s", f.Name, def, f.DefValue)
			}
		}
	})
	for name := range documented {
		t.Errorf("docs/agent.md documents --%s, which the agent does not have", name)
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("ATLHYPER_STORE", "file:///tmp/lake")
	t.Setenv("ATLHYPER_LOG_TAIL_LINES", "0")
	t.Setenv("ATLHYPER_FLUSH_AGE", "2m")
	o, err := parseFlags([]string{"--flush-age=30s"})
	if err != nil {
		t.Fatal(err)
	}
	if o.store != "file:///tmp/lake" || o.logTailLines != 0 {
		t.Errorf("environment not applied: %+v", o)
	}
	if o.flushAge != 30*time.Second {
		t.Errorf("flush age %v: the command line should win over the environment", o.flushAge)
	}
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--store"},
		{[]string{"--store=file:///x", "--log-tail-lines=-1"}, "--log-tail-lines"},
		{[]string{"--store=file:///x", "--flush-age=soon"}, "flush-age"},
		{[]string{"--store=file:///x", "--log-tail-max-bytes=lots"}, "--log-tail-max-bytes"},
		{[]string{"--store=file:///x", "--spool-max-bytes=-1"}, "--spool-max-bytes"},
	} {
		t.Setenv("ATLHYPER_STORE", "")
		os.Unsetenv("ATLHYPER_STORE")
		if _, err := parseFlags(tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %s", tc.args, err, tc.want)
		}
	}
}

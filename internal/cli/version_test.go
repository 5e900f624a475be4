package cli

import (
	"bytes"
	"flag"
	"testing"
)

// TestVersionFlag: --version prints the stamped version and revision and
// exits 0 before any other check; ATLHYPER_VERSION (the API's version
// label) never sets it.
func TestVersionFlag(t *testing.T) {
	var out bytes.Buffer
	code := -1
	oldOut, oldExit := stdout, exit
	stdout, exit = &out, func(c int) { code = c }
	defer func() { stdout, exit = oldOut, oldExit }()
	Version, Revision = "1.2.3", "abc123"
	defer func() { Version, Revision = "dev", "unknown" }()

	t.Setenv("ATLHYPER_VERSION", "1.2.3")
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	if err := Parse(fs, nil); err != nil || code != -1 || out.Len() != 0 {
		t.Fatalf("ATLHYPER_VERSION was read as --version: err %v, exit %d, printed %q", err, code, out.String())
	}
	fs = flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.Int("top-procs", 0, "")
	t.Setenv("ATLHYPER_TOP_PROCS", "not a number")
	if err := Parse(fs, []string{"--version"}); err != nil {
		t.Fatal(err)
	}
	if code != 0 || out.String() != "agent 1.2.3 (revision abc123)\n" {
		t.Fatalf("exit %d, printed %q", code, out.String())
	}
}

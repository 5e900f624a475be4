package cli_test

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/internal/cli"
)

func flags() (*flag.FlagSet, *time.Duration, *int, *bool, *string) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(new(bytes.Buffer))
	return fs, fs.Duration("flush-age", time.Minute, ""), fs.Int("top-procs", 0, ""), fs.Bool("pprof", false, ""), fs.String("store", "", "")
}

func TestEnvironmentUnderTheFlags(t *testing.T) {
	t.Setenv("ATLHYPER_FLUSH_AGE", "30s")
	t.Setenv("ATLHYPER_TOP_PROCS", "5")
	t.Setenv("ATLHYPER_PPROF", "") // empty: unset
	t.Setenv("ATLHYPER_STORE", "file:///env")
	fs, age, procs, pprof, store := flags()
	if err := cli.Parse(fs, []string{"--top-procs=3"}); err != nil {
		t.Fatal(err)
	}
	if *age != 30*time.Second || *store != "file:///env" {
		t.Errorf("environment not applied: %v %q", *age, *store)
	}
	if *procs != 3 {
		t.Errorf("the command line must win: %d", *procs)
	}
	if *pprof {
		t.Error("an empty variable set the flag")
	}
	if cli.EnvName("log-tail-max-bytes") != "ATLHYPER_LOG_TAIL_MAX_BYTES" {
		t.Error(cli.EnvName("log-tail-max-bytes"))
	}
}

// TestMalformedIsAnError: a malformed value stops the command, naming the
// variable, instead of falling back to the default.
func TestMalformedIsAnError(t *testing.T) {
	t.Setenv("ATLHYPER_FLUSH_AGE", "soon")
	t.Setenv("ATLHYPER_PPROF", "yes please")
	fs, _, _, _, _ := flags()
	err := cli.Parse(fs, nil)
	if err == nil || !strings.Contains(err.Error(), "ATLHYPER_FLUSH_AGE") || !strings.Contains(err.Error(), "ATLHYPER_PPROF") {
		t.Fatalf("want both variables named: %v", err)
	}
	// A malformed variable under a flag given on the command line is not read.
	fs, _, _, _, _ = flags()
	if err := cli.Parse(fs, []string{"--flush-age=1m", "--pprof"}); err != nil {
		t.Fatal(err)
	}
}

func TestLogger(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	l := cli.LogFlags(fs)
	if err := cli.Parse(fs, []string{"--log-level=warn"}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	log, err := l.New(&out)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", "k", 1)
	if s := out.String(); strings.Contains(s, "hidden") || !strings.Contains(s, `"msg":"shown"`) {
		t.Errorf("json at warn: %s", s)
	}
	for _, bad := range [][]string{{"--log-level=loud"}, {"--log-format=xml"}} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		l := cli.LogFlags(fs)
		if err := fs.Parse(bad); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Logger(); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	t.Setenv("ATLHYPER_LOG_FORMAT", "text")
	fs = flag.NewFlagSet("t", flag.ContinueOnError)
	l = cli.LogFlags(fs)
	if err := cli.Parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	log, _ = l.New(&out)
	log.Info("plain")
	if !strings.Contains(out.String(), "msg=plain") {
		t.Errorf("text from the environment: %s", out.String())
	}
}

func TestSetup(t *testing.T) {
	t.Setenv("ATLHYPER_STORE", "file:///env")
	var store *string
	log, err := cli.Setup("t", []string{"--log-level=debug"}, func(fs *flag.FlagSet) { store = fs.String("store", "", "") })
	if err != nil || log == nil || *store != "file:///env" || !log.Enabled(context.Background(), slog.LevelDebug) {
		t.Fatalf("Setup: %v %q", err, *store)
	}
	if _, err := cli.Setup("t", []string{"--log-format=xml"}, func(*flag.FlagSet) {}); err == nil {
		t.Error("a bad log format passed Setup")
	}
}

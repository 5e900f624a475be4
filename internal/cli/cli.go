// Package cli is what every AtlHyper command shares on its command line:
// flags that can also be set from the environment, under one prefix and
// parsed as strictly as the flags themselves, and the logger built from
// the one set of logging flags.
//
// The scheme (docs/api.md, docs/agent.md, docs/node-metrics.md): every
// flag --some-name of every command can be given as ATLHYPER_SOME_NAME; a
// flag on the command line wins; an empty variable counts as unset; a
// malformed value stops the command with an error naming the variable.
// Commands sharing an environment (a shell, scripts/up) share these
// values, so give per-process settings as flags.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Version and Revision name the build, stamped by the image builder
// (infra/images) with -ldflags "-X github.com/atlhyper/atlhyper/internal/cli.Version=…
// -X github.com/atlhyper/atlhyper/internal/cli.Revision=…"; every command
// parsed by Parse prints them for --version.
var (
	Version  = "dev"
	Revision = "unknown"
)

// exit and stdout are what --version ends with and prints to (tests swap them).
var (
	exit             = os.Exit
	stdout io.Writer = os.Stdout
)

// EnvPrefix starts every environment variable AtlHyper reads.
const EnvPrefix = "ATLHYPER_"

// EnvName is the environment variable of a flag: spool-dir →
// ATLHYPER_SPOOL_DIR.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Parse parses args into fs, then sets every flag not given on the
// command line from its environment variable. Every malformed value is
// reported, each naming its variable. It adds --version (command line
// only: ATLHYPER_VERSION is the API's version label), which prints
// "<command> <Version> (revision <Revision>)" to stdout and exits 0.
func Parse(fs *flag.FlagSet, args []string) error {
	var version bool
	if fs.Lookup("version") == nil {
		fs.BoolVar(&version, "version", false, "print the version and revision, then exit")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if version {
		fmt.Fprintf(stdout, "%s %s (revision %s)\n", fs.Name(), Version, Revision)
		exit(0)
		return nil
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		env := EnvName(f.Name)
		v := os.Getenv(env)
		if given[f.Name] || v == "" || f.Name == "version" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", env, v, err))
		}
	})
	return errors.Join(errs...)
}

// Log holds the logging flags.
type Log struct {
	level, format string
}

// LogFlags declares --log-level (debug, info, warn, error; default info)
// and --log-format (json or text; default json) on fs.
func LogFlags(fs *flag.FlagSet) *Log {
	l := &Log{}
	fs.StringVar(&l.level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&l.format, "log-format", "json", "json or text")
	return l
}

// Logger builds the logger the flags describe, writing to stderr.
func (l *Log) Logger() (*slog.Logger, error) { return l.New(os.Stderr) }

// New builds the logger the flags describe, writing to w.
func (l *Log) New(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch l.format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want json or text", l.format)
}

// Setup is a command's whole command line: a flag set with the command's
// flags (declare) and the logging flags, parsed from args and the
// environment, and the logger they describe.
func Setup(name string, args []string, declare func(*flag.FlagSet)) (*slog.Logger, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	declare(fs)
	l := LogFlags(fs)
	if err := Parse(fs, args); err != nil {
		return nil, err
	}
	return l.Logger()
}

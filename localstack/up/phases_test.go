package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestForCountsFromServing: --for is counted from the moment the stack
// serves, not from the start of a (first-run, many-minute) build.
func TestForCountsFromServing(t *testing.T) {
	clock := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	var served time.Time
	var deadline time.Time
	err := runPhases(context.Background(), 150*time.Second, now,
		func(context.Context) error { clock = clock.Add(9 * time.Minute); return nil }, // the first build
		func(context.Context) error { clock = clock.Add(20 * time.Second); served = clock; return nil },
		func(ctx context.Context) error {
			d, ok := ctx.Deadline()
			if !ok {
				t.Fatal("no deadline with --for")
			}
			deadline = d
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if want := served.Add(150 * time.Second); !deadline.Equal(want) {
		t.Fatalf("deadline %s, want %s (150 s after the stack serves)", deadline.Format(time.TimeOnly), want.Format(time.TimeOnly))
	}
	// Without --for: until Ctrl-C.
	runPhases(context.Background(), 0, now, func(context.Context) error { return nil }, func(context.Context) error { return nil },
		func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); ok {
				t.Error("a deadline without --for")
			}
			return nil
		})
}

// TestBuildProgress: the first run says what it compiles and how far it
// is, at most every interval, and passes compiler messages through.
func TestBuildProgress(t *testing.T) {
	clock := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(4 * time.Second); return clock }
	in := strings.Join([]string{
		"internal/goarch", "runtime", "github.com/duckdb/duckdb-go/v2",
		"# github.com/atlhyper/atlhyper/x", "x/y.go:3:1: undefined: z",
		"k8s.io/client-go/kubernetes", "github.com/atlhyper/atlhyper/functions/cmd/api",
	}, "\n")
	var out bytes.Buffer
	reportProgress(strings.NewReader(in), 5, now, 10*time.Second, &out)
	got := out.String()
	for _, want := range []string{
		"up: compiled 3/5 packages (60%), now github.com/duckdb/duckdb-go/v2\n",
		"x/y.go:3:1: undefined: z\n",
		"up: compiled 5/5 packages (100%), now github.com/atlhyper/atlhyper/functions/cmd/api\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Count(got, "up: compiled") != 2 {
		t.Errorf("progress at most every 10 s: %s", got)
	}
}

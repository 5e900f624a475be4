package backoff_test

import (
	"context"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/internal/backoff"
)

func TestDelayDoublesWithEqualJitter(t *testing.T) {
	b := backoff.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for attempt, ceil := range []time.Duration{100, 200, 400, 800, 1600, 3200, 5000, 5000} {
		ceil *= time.Millisecond
		lo, hi := ceil, time.Duration(0)
		for range 2000 {
			d := b.Delay(attempt)
			if d < ceil/2 || d > ceil {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, ceil/2, ceil)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		// Spread: the draws cover most of the window, not one point.
		if hi-lo < ceil/4 {
			t.Errorf("attempt %d: draws within [%v, %v]: no jitter", attempt, lo, hi)
		}
	}
	if d := b.Delay(1 << 20); d < 2500*time.Millisecond || d > 5*time.Second {
		t.Errorf("huge attempt: %v", d)
	}
	if d := (backoff.Backoff{}).Delay(0); d < 500*time.Millisecond || d > time.Second {
		t.Errorf("zero value, first retry: %v", d)
	}
}

func TestSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (backoff.Backoff{Min: time.Hour, Max: time.Hour}).Sleep(ctx, 0); err != context.Canceled {
		t.Fatalf("Sleep on a cancelled context: %v", err)
	}
	if err := (backoff.Backoff{Min: time.Millisecond, Max: time.Millisecond}).Sleep(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
}

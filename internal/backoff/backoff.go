// Package backoff is AtlHyper's one retry delay: exponential, doubling
// from Min up to Max, with equal jitter — the delay of attempt n is drawn
// uniformly from [c/2, c], c = min(Max, Min·2ⁿ). Half the ceiling is a
// floor, so a failing dependency is never retried in a tight loop; the
// other half spreads callers that failed together (agents after a store
// outage, collectors after an agent restart, instances racing on one
// compare-and-swap) so they do not come back in step.
//
// It has no dependencies beyond the standard library: the API functions,
// the collector and the agent all link it.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff computes retry delays. The zero value retries after 1 s,
// doubling to 1 min.
type Backoff struct {
	Min, Max time.Duration
}

// Delay is the wait before retry attempt (0 for the first retry).
func (b Backoff) Delay(attempt int) time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi < lo {
		hi = max(lo, time.Minute)
	}
	c := hi
	if attempt < 62 {
		if d := lo << max(attempt, 0); d > 0 && d < hi {
			c = d
		}
	}
	return c/2 + rand.N(c/2+1)
}

// Sleep waits Delay(attempt), or until ctx ends (then it returns ctx's
// error).
func (b Backoff) Sleep(ctx context.Context, attempt int) error {
	t := time.NewTimer(b.Delay(attempt))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

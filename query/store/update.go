package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atlhyper/atlhyper/internal/backoff"
)

// ErrConflict means Update lost the compare-and-swap race MaxUpdateAttempts
// times in a row: too many writers on one key.
var ErrConflict = errors.New("too many concurrent updates")

// MaxUpdateAttempts bounds Update's compare-and-swap attempts.
const MaxUpdateAttempts = 10

// updateBackoff spaces Update's attempts after a lost race: a few
// milliseconds at first (a store round trip), at most half a second.
var updateBackoff = backoff.Backoff{Min: 4 * time.Millisecond, Max: 500 * time.Millisecond}

// Update is read-modify-write of the small JSON object at key, safe
// against every other writer of it: it reads the object into a T (the
// zero T, exists false, when there is none), lets fn change it, and
// writes it back only if nobody wrote the key meanwhile — If-Match its
// ETag, or create-only when it did not exist. On a lost race it starts
// over (backing off, internal/backoff), so fn may run more than once and
// must only change v. An error from fn ends Update without writing and is
// returned as is. It returns the value written and its Info.
func Update[T any](ctx context.Context, b Bucket, key string, fn func(v *T, exists bool) error) (T, Info, error) {
	return UpdateN(ctx, b, key, MaxUpdateAttempts, fn)
}

// UpdateN is Update with its own bound on attempts, for a key that many
// writers race on at once (a login counter under a burst of guesses).
func UpdateN[T any](ctx context.Context, b Bucket, key string, attempts int, fn func(v *T, exists bool) error) (T, Info, error) {
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			if err := updateBackoff.Sleep(ctx, attempt-1); err != nil {
				var zero T
				return zero, Info{}, err
			}
		}
		var v T
		cond := IfAbsent
		data, info, err := b.Get(ctx, key, "")
		switch {
		case IsNotFound(err):
		case err != nil:
			return v, Info{}, err
		default:
			if err := json.Unmarshal(data, &v); err != nil {
				return v, Info{}, fmt.Errorf("update %s: %w", key, err)
			}
			cond = IfMatch(info.ETag)
		}
		if err := fn(&v, !cond.IfAbsent); err != nil {
			return v, Info{}, err
		}
		out, err := json.Marshal(v)
		if err != nil {
			return v, Info{}, fmt.Errorf("update %s: %w", key, err)
		}
		info, err = b.Put(ctx, key, out, cond)
		if IsPreconditionFailed(err) {
			continue
		}
		if err != nil {
			return v, Info{}, err
		}
		return v, info, nil
	}
	var zero T
	return zero, Info{}, fmt.Errorf("update %s: %w (%d attempts)", key, ErrConflict, attempts)
}

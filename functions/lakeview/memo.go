package lakeview

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"golang.org/x/sync/singleflight"

	"github.com/atlhyper/atlhyper/internal/lru"
	"github.com/atlhyper/atlhyper/query"
)

// memo caches computed results keyed by the question and the exact set of
// lake objects it was computed from: a hit is always exactly what a fresh
// computation would return. Bounded by entry count, least recently used out.
type memo struct {
	group singleflight.Group
	cache *lru.Cache[string, any]
}

func newMemo(max int) *memo { return &memo{cache: lru.New[string, any](int64(max), nil)} }

func (m *memo) get(key string) (any, bool) { return m.cache.Get(key) }

func (m *memo) put(key string, val any) { m.cache.Put(key, val) }

// cached returns compute's result for question over scopes, reusing it
// while the scopes' objects are unchanged.
func cached[T any](ctx context.Context, v *View, question string, scopes []query.Scope, compute func() (T, error)) (T, error) {
	var zero T
	h := sha256.New()
	h.Write([]byte(question))
	for _, s := range scopes {
		fp, err := v.fingerprint(ctx, s)
		if err != nil {
			return zero, err
		}
		h.Write([]byte{0})
		h.Write([]byte(fp))
	}
	key := hex.EncodeToString(h.Sum(nil)[:16])
	if val, ok := v.memo.get(key); ok {
		return val.(T), nil
	}
	val, err, _ := v.memo.group.Do(key, func() (any, error) {
		r, err := compute()
		if err != nil {
			return nil, err
		}
		v.memo.put(key, r)
		return r, nil
	})
	if err != nil {
		return zero, err
	}
	return val.(T), nil
}

package lakeview

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"golang.org/x/sync/singleflight"

	"github.com/atlhyper/atlhyper/internal/lru"
	"github.com/atlhyper/atlhyper/query"
)

// memo caches computed results keyed by the question and the exact set of
// lake objects it was computed from: a hit is always exactly what a fresh
// computation would return. Bounded by the answers' size as JSON (what
// they are served as; an answer of a 300-pod cluster's day is ~100 KB),
// least recently used out.
type memo struct {
	group singleflight.Group
	cache *lru.Cache[string, memoized]
}

type memoized struct {
	val  any
	size int64
}

func newMemo(maxBytes int64) *memo {
	return &memo{cache: lru.New[string, memoized](maxBytes, func(m memoized) int64 { return m.size })}
}

func (m *memo) get(key string) (any, bool) {
	e, ok := m.cache.Get(key)
	return e.val, ok
}

func (m *memo) put(key string, val any) {
	data, err := json.Marshal(val)
	if err != nil {
		return // not kept: served once, as computed
	}
	m.cache.Put(key, memoized{val, int64(len(data)) + 64})
}

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

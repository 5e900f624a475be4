package lakeview

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/atlhyper/atlhyper/query"
)

// memo caches computed results keyed by the question and the exact set of
// lake objects it was computed from: a hit is always exactly what a fresh
// computation would return. Bounded by entry count, least recently used out.
type memo struct {
	group singleflight.Group
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type memoEntry struct {
	key string
	val any
}

func newMemo(max int) *memo {
	return &memo{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

func (m *memo) get(key string) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[key]
	if !ok {
		return nil, false
	}
	m.ll.MoveToFront(el)
	return el.Value.(*memoEntry).val, true
}

func (m *memo) put(key string, val any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.ll.Remove(el)
	}
	m.items[key] = m.ll.PushFront(&memoEntry{key: key, val: val})
	for m.ll.Len() > m.max {
		el := m.ll.Back()
		m.ll.Remove(el)
		delete(m.items, el.Value.(*memoEntry).key)
	}
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

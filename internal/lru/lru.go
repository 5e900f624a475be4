// Package lru is AtlHyper's one in-memory cache type: a map bounded by a
// total cost, least recently used out. Every cache a long-running process
// keeps (the query engine's listings and compaction inputs, the API's
// reconstructed states and memoised answers, …) is one of these, so none
// can grow without bound.
package lru

import (
	"container/list"
	"sync"
)

// Cache maps keys to values; the summed cost of its entries never exceeds
// its bound. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	mu    sync.Mutex
	max   int64
	cost  func(V) int64
	total int64
	ll    *list.List // front: most recently used
	items map[K]*list.Element
}

type entry[K comparable, V any] struct {
	key  K
	val  V
	cost int64
}

// New returns a cache holding entries of total cost at most max. cost
// prices an entry (nil: every entry costs 1, so max is an entry count).
func New[K comparable, V any](max int64, cost func(V) int64) *Cache[K, V] {
	if cost == nil {
		cost = func(V) int64 { return 1 }
	}
	return &Cache[K, V]{max: max, cost: cost, ll: list.New(), items: map[K]*list.Element{}}
}

// Get returns the value of key and marks it recently used.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.ll.MoveToFront(el)
	return el.Value.(*entry[K, V]).val, true
}

// Put stores val under key, evicting the least recently used entries
// until the bound holds. A value costing more than the whole bound is not
// stored (and an older value of key is dropped).
func (c *Cache[K, V]) Put(key K, val V) {
	n := c.cost(val)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	if n > c.max {
		return
	}
	c.items[key] = c.ll.PushFront(&entry[K, V]{key: key, val: val, cost: n})
	c.total += n
	for c.total > c.max {
		c.remove(c.ll.Back())
	}
}

// Remove drops key.
func (c *Cache[K, V]) Remove(key K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
}

func (c *Cache[K, V]) remove(el *list.Element) {
	e := el.Value.(*entry[K, V])
	c.ll.Remove(el)
	delete(c.items, e.key)
	c.total -= e.cost
}

// Stats is a cache's size against its bound.
type Stats struct {
	Entries   int
	Cost, Max int64
}

// Stats reports the cache's size.
func (c *Cache[K, V]) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Entries: c.ll.Len(), Cost: c.total, Max: c.max}
}

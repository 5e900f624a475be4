package lru_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/atlhyper/atlhyper/internal/lru"
)

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := lru.New[string, int](3, nil)
	for i, k := range []string{"a", "b", "c"} {
		c.Put(k, i)
	}
	c.Get("a") // b is now the least recently used
	c.Put("d", 3)
	if _, ok := c.Get("b"); ok {
		t.Error("b survived; it was the least recently used")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	if s := c.Stats(); s.Entries != 3 || s.Cost != 3 || s.Max != 3 {
		t.Errorf("stats %+v", s)
	}
	c.Put("a", 10) // replace: no growth
	if v, _ := c.Get("a"); v != 10 || c.Stats().Entries != 3 {
		t.Errorf("replace: %d %+v", v, c.Stats())
	}
	c.Remove("a")
	if _, ok := c.Get("a"); ok || c.Stats().Cost != 2 {
		t.Errorf("remove: %+v", c.Stats())
	}
}

func TestCostBound(t *testing.T) {
	c := lru.New[int, []byte](100, func(b []byte) int64 { return int64(len(b)) })
	for i := range 50 {
		c.Put(i, make([]byte, 7+i%13))
		if s := c.Stats(); s.Cost > 100 {
			t.Fatalf("after %d puts: cost %d over the bound", i+1, s.Cost)
		}
	}
	c.Put(-1, make([]byte, 101)) // larger than the whole bound: not stored
	if _, ok := c.Get(-1); ok {
		t.Error("an entry over the bound was stored")
	}
	c.Put(49, make([]byte, 200)) // replacing with an oversized value drops the old one
	if _, ok := c.Get(49); ok {
		t.Error("oversized replacement kept")
	}
}

func TestConcurrentUseStaysBounded(t *testing.T) {
	c := lru.New[string, int](64, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := fmt.Sprint(g, "-", i%100)
				c.Put(k, i)
				c.Get(fmt.Sprint((g+1)%8, "-", i%100))
			}
		})
	}
	wg.Wait()
	if s := c.Stats(); s.Entries > 64 || s.Cost != int64(s.Entries) {
		t.Fatalf("stats %+v", s)
	}
}

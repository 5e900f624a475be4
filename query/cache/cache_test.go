package cache_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query/cache"
	"github.com/atlhyper/atlhyper/query/store"
)

// counting counts Gets so tests can see what the cache fetched.
type counting struct {
	store.Bucket
	mu   sync.Mutex
	gets map[string]int
}

func (c *counting) Get(ctx context.Context, key, inm string) ([]byte, store.Info, error) {
	c.mu.Lock()
	c.gets[key]++
	c.mu.Unlock()
	time.Sleep(5 * time.Millisecond) // let concurrent fetches overlap
	return c.Bucket.Get(ctx, key, inm)
}

func setup(t *testing.T, n, size int) (*counting, []store.Info) {
	fb, _ := store.NewFile(t.TempDir())
	b := &counting{Bucket: fb, gets: map[string]int{}}
	var infos []store.Info
	for i := 0; i < n; i++ {
		info, err := fb.Put(context.Background(), fmt.Sprintf("t/cluster=c/date=2026-11-20/%02d.parquet", i), []byte(strings.Repeat(fmt.Sprint(i%10), size)), store.IfAbsent)
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, info)
	}
	return b, infos
}

func TestFetchOnceAndServeLocally(t *testing.T) {
	b, infos := setup(t, 1, 100)
	c, err := cache.New(b, cache.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	paths := make([]string, 8)
	for i := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, release, err := c.Fetch(context.Background(), infos[0])
			if err != nil {
				t.Error(err)
				return
			}
			defer release()
			paths[i] = p
		}()
	}
	wg.Wait()
	if b.gets[infos[0].Key] != 1 {
		t.Fatalf("%d gets for concurrent fetches, want 1", b.gets[infos[0].Key])
	}
	data, err := os.ReadFile(paths[0])
	if err != nil || string(data) != strings.Repeat("0", 100) {
		t.Fatalf("cached file: %q %v", data, err)
	}
	if !strings.Contains(paths[0], "/cluster=c/date=2026-11-20/") {
		t.Fatalf("path %s lost the hive partitions", paths[0])
	}
	// A new cache on the same directory (another process, a restart) finds it.
	c2, _ := cache.New(b, cache.Options{Dir: c.Dir()})
	if _, release, err := c2.Fetch(context.Background(), infos[0]); err != nil {
		t.Fatal(err)
	} else {
		release()
	}
	if b.gets[infos[0].Key] != 1 || c2.Stats().Hits != 1 {
		t.Fatalf("restart refetched: %d gets, stats %+v", b.gets[infos[0].Key], c2.Stats())
	}
	// Another process evicts the file: the next fetch gets it again.
	os.Remove(paths[0])
	if _, release, err := c.Fetch(context.Background(), infos[0]); err != nil {
		t.Fatal(err)
	} else {
		release()
	}
	if b.gets[infos[0].Key] != 2 {
		t.Fatalf("after external eviction: %d gets, want 2", b.gets[infos[0].Key])
	}
}

func TestEvictsLeastRecentlyUsedUnpinned(t *testing.T) {
	b, infos := setup(t, 10, 1000)
	c, err := cache.New(b, cache.Options{Dir: t.TempDir(), MaxBytes: 5000, Grace: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, pinned, err := c.Fetch(ctx, infos[0]) // stays pinned throughout
	if err != nil {
		t.Fatal(err)
	}
	defer pinned()
	for _, info := range infos[1:] {
		_, release, err := c.Fetch(ctx, info)
		if err != nil {
			t.Fatal(err)
		}
		release()
		time.Sleep(2 * time.Millisecond)
	}
	st := c.Stats()
	if st.Bytes > 5000 || st.Evictions == 0 {
		t.Fatalf("stats %+v: want ≤ 5000 bytes after evictions", st)
	}
	if _, err := os.Stat(c.Path(infos[0].Key, infos[0].ETag)); err != nil {
		t.Fatalf("pinned file evicted: %v", err)
	}
	if _, err := os.Stat(c.Path(infos[9].Key, infos[9].ETag)); err != nil {
		t.Fatalf("most recent file evicted: %v", err)
	}
	if _, err := os.Stat(c.Path(infos[1].Key, infos[1].ETag)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("least recent file kept: %v", err)
	}
}

func TestRejectsInvalidObjects(t *testing.T) {
	b, infos := setup(t, 1, 10)
	bad := errors.New("not parquet")
	c, _ := cache.New(b, cache.Options{Dir: t.TempDir(), Validate: func(string) error { return bad }})
	_, _, err := c.Fetch(context.Background(), infos[0])
	if !errors.Is(err, bad) || !strings.Contains(err.Error(), infos[0].Key) {
		t.Fatalf("fetch of invalid object: %v", err)
	}
	if _, err := os.Stat(c.Path(infos[0].Key, infos[0].ETag)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("invalid object was cached")
	}
}

func TestStaleListingIsNotFound(t *testing.T) {
	b, infos := setup(t, 1, 10)
	c, _ := cache.New(b, cache.Options{Dir: t.TempDir()})
	stale := infos[0]
	stale.ETag = "old"
	if _, _, err := c.Fetch(context.Background(), stale); !store.IsNotFound(err) {
		t.Fatalf("fetch with a stale etag: %v, want not found (list again)", err)
	}
}

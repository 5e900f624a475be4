// Package cache is the query path's local read-through cache of lake
// objects. DuckDB (as linked here) reads only local files, so every object a
// query touches is fetched once into a directory and read from there.
//
// Lake objects are immutable, so an entry, keyed by object key and ETag,
// never goes stale. Files appear by rename (never half-written), the cache
// is bounded in bytes with least-recently-used eviction, and it is safe for
// concurrent queries in one process and for several processes sharing a
// directory: a file deleted by another process's eviction is simply fetched
// again. It never writes to the store.
package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/atlhyper/atlhyper/query/store"
)

// Cache is a directory of fetched objects.
type Cache struct {
	dir      string // objects live under dir/objects, temp files under dir/tmp
	maxBytes int64
	bucket   store.Bucket
	validate func(path string) error
	grace    time.Duration

	group singleflight.Group
	mu    sync.Mutex
	files map[string]*entry // by local path
	total int64
	stats Stats
}

type entry struct {
	size    int64
	lastUse time.Time
	pins    int
}

// Stats count cache activity.
type Stats struct {
	Hits, Misses, Evictions int64
	BytesFetched            int64
	Files                   int
	Bytes                   int64
}

// Options configure New.
type Options struct {
	Dir      string
	MaxBytes int64 // default 1 GiB
	// Validate checks a freshly fetched file before it enters the cache;
	// an object that fails is reported and never cached.
	Validate func(path string) error
	// Grace protects recently used files from eviction, for other
	// processes about to read them (default 30 s).
	Grace time.Duration
}

// New opens (creating) a cache directory in front of bucket and indexes
// what earlier runs left there.
func New(b store.Bucket, opts Options) (*Cache, error) {
	if opts.Dir == "" {
		return nil, errors.New("cache: no directory")
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 30
	}
	if opts.Grace <= 0 {
		opts.Grace = 30 * time.Second
	}
	c := &Cache{dir: opts.Dir, maxBytes: opts.MaxBytes, bucket: b, validate: opts.Validate, grace: opts.Grace, files: map[string]*entry{}}
	for _, d := range []string{c.objectsDir(), filepath.Join(c.dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	if err := c.rescan(); err != nil {
		return nil, err
	}
	return c, nil
}

// Dir is the cache's root directory; every file it hands out is inside.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) objectsDir() string { return filepath.Join(c.dir, "objects") }

// PrefixDir is the local directory of every object whose key starts with
// prefix (a key's directories are kept, see Path).
func (c *Cache) PrefixDir(prefix string) string {
	return filepath.Join(c.objectsDir(), filepath.FromSlash(prefix))
}

// rescan indexes files on disk, keeping what this process knows of use.
func (c *Cache) rescan() error {
	seen := map[string]*entry{}
	var total int64
	err := filepath.WalkDir(c.objectsDir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		c.mu.Lock()
		e := c.files[p]
		c.mu.Unlock()
		if e == nil {
			e = &entry{size: fi.Size(), lastUse: fi.ModTime()}
		}
		seen[p] = e
		total += e.size
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: scan: %w", err)
	}
	c.mu.Lock()
	for p, e := range c.files {
		if e.pins > 0 && seen[p] == nil {
			seen[p] = e // pinned but gone: keep the pin bookkeeping
		}
	}
	c.files, c.total = seen, total
	c.mu.Unlock()
	return nil
}

// Path is where the object with this key and ETag lives in the cache. The
// key's directories are kept so that Hive partitions in the path
// (cluster=…/date=…) still work for readers.
func (c *Cache) Path(key, etag string) string {
	sum := sha256.Sum256([]byte(etag))
	dir, name := filepath.Split(filepath.FromSlash(key))
	ext := filepath.Ext(name)
	return filepath.Join(c.objectsDir(), dir, strings.TrimSuffix(name, ext)+"."+hex.EncodeToString(sum[:6])+ext)
}

// Fetch returns the local path of the object info describes, fetching it
// if needed, and pins it until release is called: pinned files are not
// evicted by this process.
func (c *Cache) Fetch(ctx context.Context, info store.Info) (path string, release func(), err error) {
	path = c.Path(info.Key, info.ETag)
	if c.pinIfPresent(path) {
		c.count(func(s *Stats) { s.Hits++ })
		return path, c.releaser(path), nil
	}
	_, err, _ = c.group.Do(path, func() (any, error) { return nil, c.fetch(ctx, info, path) })
	if err != nil {
		return "", nil, err
	}
	if !c.pinIfPresent(path) {
		// Another process evicted it between our fetch and pin: once more.
		if err := c.fetch(ctx, info, path); err != nil {
			return "", nil, err
		}
		c.pinIfPresent(path)
	}
	return path, c.releaser(path), nil
}

func (c *Cache) pinIfPresent(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	now := time.Now()
	c.mu.Lock()
	e := c.files[path]
	if e == nil {
		e = &entry{size: fi.Size()}
		c.files[path] = e
		c.total += e.size
	}
	touch := now.Sub(e.lastUse) > time.Minute
	e.lastUse = now
	e.pins++
	c.mu.Unlock()
	if touch { // share recency with other processes through mtime
		os.Chtimes(path, now, now)
	}
	return true
}

func (c *Cache) count(f func(*Stats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

func (c *Cache) releaser(path string) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			if e := c.files[path]; e != nil && e.pins > 0 {
				e.pins--
			}
			c.mu.Unlock()
		})
	}
}

func (c *Cache) fetch(ctx context.Context, info store.Info, path string) error {
	data, got, err := c.bucket.Get(ctx, info.Key, "")
	if err != nil {
		return fmt.Errorf("fetch %s: %w", info.Key, err)
	}
	if got.ETag != info.ETag && info.ETag != "" {
		// Lake objects are never rewritten; a different ETag means the
		// listing is stale. Let the caller list again.
		return fmt.Errorf("fetch %s: etag %s, listed %s: %w", info.Key, got.ETag, info.ETag, store.ErrNotFound)
	}
	if err := c.install(info.Key, data, path); err != nil {
		return err
	}
	c.count(func(s *Stats) { s.Misses++; s.BytesFetched += int64(len(data)) })
	return nil
}

// Put caches data as the object key with etag — content that reaches the
// reader otherwise than as one stored object, such as a part of a tail —
// validated and evictable like a fetched object, and pins it.
func (c *Cache) Put(key, etag string, data []byte) (path string, release func(), err error) {
	path = c.Path(key, etag)
	if c.pinIfPresent(path) {
		return path, c.releaser(path), nil
	}
	if _, err, _ = c.group.Do(path, func() (any, error) { return nil, c.install(key, data, path) }); err != nil {
		return "", nil, err
	}
	c.pinIfPresent(path)
	return path, c.releaser(path), nil
}

// Drop removes a cached object now unless it is pinned.
func (c *Cache) Drop(key, etag string) {
	path := c.Path(key, etag)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.files[path]; e != nil && e.pins > 0 {
		return
	}
	if err := os.Remove(path); err == nil || errors.Is(err, fs.ErrNotExist) {
		if e := c.files[path]; e != nil {
			c.total -= e.size
			delete(c.files, path)
		}
	}
}

// install writes data at path by rename, after validation.
func (c *Cache) install(key string, data []byte, path string) error {
	tmp, err := os.CreateTemp(filepath.Join(c.dir, "tmp"), "fetch-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cache: write %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cache: write %s: %w", key, err)
	}
	if c.validate != nil {
		if err := c.validate(tmp.Name()); err != nil {
			return fmt.Errorf("object %s: %w", key, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	c.mu.Lock()
	if old := c.files[path]; old != nil {
		c.total -= old.size
	}
	c.files[path] = &entry{size: int64(len(data)), lastUse: time.Now()}
	c.total += int64(len(data))
	over := c.total > c.maxBytes
	c.mu.Unlock()
	if over {
		c.evict()
	}
	return nil
}

// evict removes least recently used, unpinned files until the cache fits.
func (c *Cache) evict() {
	if err := c.rescan(); err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	type cand struct {
		path string
		e    *entry
	}
	var cands []cand
	for p, e := range c.files {
		if e.pins == 0 && time.Since(e.lastUse) > c.grace {
			cands = append(cands, cand{p, e})
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].e.lastUse.Before(cands[j].e.lastUse) })
	for _, cd := range cands {
		if c.total <= c.maxBytes*9/10 {
			break
		}
		if err := os.Remove(cd.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		delete(c.files, cd.path)
		c.total -= cd.e.size
		c.stats.Evictions++
	}
}

// Stats returns a snapshot of the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Files, s.Bytes = len(c.files), c.total
	return s
}

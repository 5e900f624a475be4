package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gofrs/flock"
)

// File is a Bucket on a local directory. Writes go to a temp file that is
// renamed into place, so readers see the old or the new object, never a
// partial one. Conditional writes and deletes hold a per-key-stripe lock that
// is both a mutex (goroutines) and an flock (other processes), so create-only
// and compare-and-swap have exactly one winner either way.
type File struct {
	root  string
	mu    [lockStripes]sync.Mutex
	flock [lockStripes]*flock.Flock
}

var _ Bucket = (*File)(nil)

const lockStripes = 64

// NewFile opens (creating if needed) a filesystem bucket rooted at dir.
func NewFile(dir string) (*File, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("file store: root %q must be an absolute path", dir)
	}
	root := filepath.Clean(dir)
	for _, d := range []string{root, filepath.Join(root, reservedDir, "tmp"), filepath.Join(root, reservedDir, "locks")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("file store: %w", err)
		}
	}
	f := &File{root: root}
	for i := range f.flock {
		f.flock[i] = flock.New(filepath.Join(root, reservedDir, "locks", fmt.Sprintf("%02d", i)))
	}
	return f, nil
}

func (f *File) String() string { return "file://" + f.root }

func (f *File) path(key string) string { return filepath.Join(f.root, filepath.FromSlash(key)) }

// lock serialises writers of keys that hash to the same stripe, within this
// process and across processes.
func (f *File) lock(ctx context.Context, key string) (func(), error) {
	h := fnv.New32a()
	h.Write([]byte(key))
	i := h.Sum32() % lockStripes
	f.mu[i].Lock()
	ok, err := f.flock[i].TryLockContext(ctx, 2*time.Millisecond)
	if err != nil || !ok {
		f.mu[i].Unlock()
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("lock %s: %w", key, err)
	}
	return func() { f.flock[i].Unlock(); f.mu[i].Unlock() }, nil
}

func (f *File) Put(ctx context.Context, key string, data []byte, cond Condition) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	// Write the temp file before taking the lock so the lock is held only
	// for the check and the rename.
	tmp, err := os.CreateTemp(filepath.Join(f.root, reservedDir, "tmp"), "put-*")
	if err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	unlock, err := f.lock(ctx, key)
	if err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	defer unlock()
	p := f.path(key)
	if cond.IfAbsent || cond.IfMatch != "" {
		cur, err := f.stat(key)
		switch {
		case err != nil && !errors.Is(err, ErrNotFound):
			return Info{}, fmt.Errorf("put %s: %w", key, err)
		case cond.IfAbsent && err == nil:
			return Info{}, fmt.Errorf("put %s: exists: %w", key, ErrPreconditionFailed)
		case cond.IfMatch != "" && (err != nil || cur.ETag != cond.IfMatch):
			return Info{}, fmt.Errorf("put %s: etag mismatch: %w", key, ErrPreconditionFailed)
		}
	}
	// A concurrent Delete of a sibling may prune the directory between
	// MkdirAll and Rename; try again then.
	for attempt := 0; ; attempt++ {
		if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
			if err = os.Rename(tmp.Name(), p); err == nil {
				break
			}
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == 5 {
			return Info{}, fmt.Errorf("put %s: %w", key, err)
		}
	}
	return f.stat(key)
}

// etag identifies one write: every rename brings a new inode, and the
// modification time and size tell apart rare inode reuse.
func etag(fi os.FileInfo) string {
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
	}
	return fmt.Sprintf("%x-%x-%x", ino, fi.ModTime().UnixNano(), fi.Size())
}

func (f *File) info(key string, fi os.FileInfo) Info {
	return Info{Key: key, Size: fi.Size(), ETag: etag(fi), Modified: fi.ModTime().UTC()}
}

func (f *File) stat(key string) (Info, error) {
	fi, err := os.Stat(f.path(key))
	if err != nil {
		return Info{}, classifyFS(key, err)
	}
	if !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	return f.info(key, fi), nil
}

func classifyFS(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", key, err)
}

func (f *File) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	info, err := f.stat(key)
	if err != nil {
		return Info{}, fmt.Errorf("stat %w", err)
	}
	return info, nil
}

// open opens key and describes the very file it opened, so a concurrent
// rename cannot pair one version's ETag with another version's bytes.
func (f *File) open(key string) (*os.File, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	fh, err := os.Open(f.path(key))
	if err != nil {
		return nil, Info{}, classifyFS(key, err)
	}
	fi, err := fh.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		fh.Close()
		return nil, Info{}, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	return fh, f.info(key, fi), nil
}

func (f *File) Get(ctx context.Context, key, ifNoneMatch string) ([]byte, Info, error) {
	fh, info, err := f.open(key)
	if err != nil {
		return nil, Info{}, fmt.Errorf("get %w", err)
	}
	defer fh.Close()
	if ifNoneMatch != "" && ifNoneMatch == info.ETag {
		return nil, info, fmt.Errorf("get %s: %w", key, ErrNotModified)
	}
	data := make([]byte, info.Size)
	if _, err := io.ReadFull(fh, data); err != nil {
		return nil, Info{}, fmt.Errorf("get %s: %w", key, err)
	}
	return data, info, nil
}

func (f *File) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("get %s: negative range %d+%d", key, off, n)
	}
	fh, info, err := f.open(key)
	if err != nil {
		return nil, fmt.Errorf("get %w", err)
	}
	defer fh.Close()
	if off >= info.Size {
		return nil, nil
	}
	n = min(n, info.Size-off)
	data := make([]byte, n)
	if _, err := fh.ReadAt(data, off); err != nil && err != io.EOF {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return data, nil
}

func (f *File) List(ctx context.Context, prefix, startAfter string, limit int) ([]Info, bool, error) {
	if limit <= 0 {
		limit = 1000
	}
	// Walk only the directory the prefix names; S3 order is plain byte order
	// of whole keys, which a directory walk does not give, so sort after.
	dir := f.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir = f.path(prefix[:i])
	}
	var keys []Info
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(f.root, p)
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if key == reservedDir {
				return fs.SkipDir
			}
			// Skip directories that cannot hold matching keys.
			if key != "." && !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(key, prefix) || key <= startAfter {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // deleted while walking
				return nil
			}
			return err
		}
		keys = append(keys, f.info(key, fi))
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("list %s: %w", prefix, err)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Key < keys[j].Key })
	if len(keys) > limit {
		return keys[:limit], true, nil
	}
	return keys, false, nil
}

func (f *File) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	unlock, err := f.lock(ctx, key)
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	defer unlock()
	p := f.path(key)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	// Prune now-empty parent directories so listings stay cheap.
	for d := filepath.Dir(p); d != f.root && strings.HasPrefix(d, f.root); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			break
		}
	}
	return nil
}

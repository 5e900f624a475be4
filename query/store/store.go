// Package store is AtlHyper's object store: the only place where state lives.
//
// A Bucket is a flat key space with a handful of operations — put (optionally
// create-only or compare-and-swap), get (whole, ranged, conditional), stat,
// paginated list and delete — implemented by a local filesystem backend
// (file:///path, the embedded default) and an S3-compatible backend
// (s3://bucket/prefix?endpoint=…, for MinIO and AWS S3). Both pass the same
// acceptance suite (storetest.Run).
//
// Mutable JSON objects (users, sessions, counters, cursors) change only
// through Update: read-modify-write with compare-and-swap and retries.
//
// Errors are classified with errors.Is against ErrNotFound,
// ErrPreconditionFailed, ErrNotModified and ErrUnavailable; callers branch on
// those and never on backend-specific error types. This package knows nothing
// about tables, Parquet or Kubernetes.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Bucket is the object store. Keys are slash-separated paths without a
// leading slash; see ValidateKey.
type Bucket interface {
	// Put writes data at key. With cond.IfAbsent it fails with
	// ErrPreconditionFailed when the key exists; with cond.IfMatch it fails
	// with ErrPreconditionFailed unless the current ETag equals IfMatch.
	Put(ctx context.Context, key string, data []byte, cond Condition) (Info, error)
	// Get reads the whole object. When ifNoneMatch equals the current ETag it
	// returns ErrNotModified and no data.
	Get(ctx context.Context, key, ifNoneMatch string) ([]byte, Info, error)
	// GetRange reads n bytes starting at off (fewer at the end of the object).
	GetRange(ctx context.Context, key string, off, n int64) ([]byte, error)
	Stat(ctx context.Context, key string) (Info, error)
	// List returns up to limit objects whose keys start with prefix and sort
	// after startAfter, in key order, and whether more remain.
	List(ctx context.Context, prefix, startAfter string, limit int) (page []Info, more bool, err error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// String names the bucket for logs (no credentials).
	String() string
}

// Info describes one stored object.
type Info struct {
	Key      string
	Size     int64
	ETag     string // opaque; changes whenever the object is rewritten
	Modified time.Time
}

// Condition makes a Put conditional. The zero value is unconditional.
type Condition struct {
	IfAbsent bool   // create-only (If-None-Match: *)
	IfMatch  string // compare-and-swap (If-Match: <etag>)
}

// IfAbsent is the create-only condition.
var IfAbsent = Condition{IfAbsent: true}

// IfMatch is the compare-and-swap condition.
func IfMatch(etag string) Condition { return Condition{IfMatch: etag} }

var (
	ErrNotFound           = errors.New("object not found")
	ErrPreconditionFailed = errors.New("precondition failed")
	ErrNotModified        = errors.New("not modified")
	// ErrUnavailable means the store could not be reached or answered with a
	// server error or timeout; the operation may succeed when retried.
	ErrUnavailable = errors.New("store unavailable")
	ErrInvalidKey  = errors.New("invalid key")
)

func IsNotFound(err error) bool           { return errors.Is(err, ErrNotFound) }
func IsPreconditionFailed(err error) bool { return errors.Is(err, ErrPreconditionFailed) }
func IsNotModified(err error) bool        { return errors.Is(err, ErrNotModified) }
func IsUnavailable(err error) bool        { return errors.Is(err, ErrUnavailable) }

// MaxKeyLen is S3's limit on key length in bytes.
const MaxKeyLen = 1024

// ValidateKey rejects keys that cannot be stored identically on every
// backend: empty, too long, absolute, with empty, "." or ".." segments,
// backslashes or control characters, or inside the reserved ".atlhyper/" tree.
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: %q: empty or longer than %d bytes", ErrInvalidKey, key, MaxKeyLen)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q: empty, '.' or '..' segment", ErrInvalidKey, key)
		}
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("%w: %q: control character or backslash", ErrInvalidKey, key)
		}
	}
	if strings.HasPrefix(key, reservedDir+"/") || key == reservedDir {
		return fmt.Errorf("%w: %q: %s/ is reserved", ErrInvalidKey, key, reservedDir)
	}
	return nil
}

// reservedDir holds the filesystem backend's temp files and locks.
const reservedDir = ".atlhyper"

// Open returns the bucket a URL names:
//
//	file:///var/lib/atlhyper           local filesystem
//	s3://bucket/prefix?endpoint=127.0.0.1:9000&insecure=true&region=us-east-1
//
// S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN (also MINIO_ROOT_USER / MINIO_ROOT_PASSWORD), then the
// instance or Lambda role.
func Open(ctx context.Context, rawURL string) (Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store url %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("store url %q: file URLs take an absolute path (file:///path)", rawURL)
		}
		return NewFile(u.Path)
	case "s3":
		return openS3(ctx, u)
	case "":
		return nil, fmt.Errorf("store url %q: missing scheme (file:// or s3://)", rawURL)
	default:
		return nil, fmt.Errorf("store url %q: unsupported scheme %q (file:// or s3://)", rawURL, u.Scheme)
	}
}

// ListAll pages through every object under prefix.
func ListAll(ctx context.Context, b Bucket, prefix string) ([]Info, error) {
	var all []Info
	after := ""
	for {
		page, more, err := b.List(ctx, prefix, after, 1000)
		if err != nil {
			return all, err
		}
		all = append(all, page...)
		if !more || len(page) == 0 {
			return all, nil
		}
		after = page[len(page)-1].Key
	}
}

// ReaderAt adapts a stored object to io.ReaderAt with ranged gets, for
// readers (like Parquet footers) that need a few bytes of a large object.
func ReaderAt(ctx context.Context, b Bucket, key string, size int64) io.ReaderAt {
	return &readerAt{ctx: ctx, b: b, key: key, size: size}
}

type readerAt struct {
	ctx  context.Context
	b    Bucket
	key  string
	size int64
}

func (r *readerAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	data, err := r.b.GetRange(r.ctx, r.key, off, int64(len(p)))
	n := copy(p, data)
	if err != nil {
		return n, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

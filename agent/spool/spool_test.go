package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query/store"
)

// flaky fails every Put while down.
type flaky struct {
	store.Bucket
	down atomic.Bool
	puts atomic.Int64
}

func (f *flaky) Put(ctx context.Context, key string, data []byte, c store.Condition) (store.Info, error) {
	f.puts.Add(1)
	if f.down.Load() {
		return store.Info{}, fmt.Errorf("put %s: %w: connection refused", key, store.ErrUnavailable)
	}
	return f.Bucket.Put(ctx, key, data, c)
}

func newBucket(t *testing.T) *flaky {
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &flaky{Bucket: b}
}

func open(t *testing.T, dir string, b store.Bucket, max int64) *Spool {
	s, err := Open(Config{Dir: dir, Bucket: b, MaxBytes: max, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, b store.Bucket, key string) string {
	t.Helper()
	data, _, err := b.Get(context.Background(), key, "")
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return string(data)
}

func TestSpoolsWhileDownAndUploadsAfterRestart(t *testing.T) {
	ctx := context.Background()
	b, dir := newBucket(t), t.TempDir()
	s := open(t, dir, b, 1<<20)
	if err := s.Put(ctx, "t/a.parquet", []byte("a")); err != nil {
		t.Fatal(err)
	}
	b.down.Store(true)
	for i := range 5 {
		if err := s.Put(ctx, fmt.Sprintf("t/%d.parquet", i), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Objects != 5 || st.Spooled != 5 || st.Oldest.IsZero() {
		t.Fatalf("stats %+v", st)
	}
	if n, err := s.Drain(ctx); n != 5 || err == nil {
		t.Fatalf("drain while down: %d, %v", n, err)
	}

	// "Restart": a new process opens the same directory.
	b.down.Store(false)
	s2 := open(t, dir, b, 1<<20)
	if st := s2.Stats(); st.Objects != 5 {
		t.Fatalf("leftovers %+v", st)
	}
	ctx2, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s2.Run(ctx2); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for s2.Stats().Objects > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	for i := range 5 {
		if got := get(t, b, fmt.Sprintf("t/%d.parquet", i)); got != fmt.Sprint(i) {
			t.Fatalf("object %d = %q", i, got)
		}
	}
	if st := s2.Stats(); st.Objects != 0 || st.Bytes != 0 || st.Uploaded != 5 {
		t.Fatalf("after upload %+v", st)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 0 {
		t.Fatalf("spool dir not empty: %v", left)
	}
}

func TestReplayOfLandedObjectIsDelivered(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	// The object landed but the response was lost: it is also spooled.
	if _, err := b.Put(ctx, "t/x.parquet", []byte("x"), store.IfAbsent); err != nil {
		t.Fatal(err)
	}
	s := open(t, t.TempDir(), b, 1<<20)
	if err := s.spool("t/x.parquet", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Drain(ctx); n != 0 || err != nil {
		t.Fatalf("drain: %d %v", n, err)
	}
	if got := get(t, b, "t/x.parquet"); got != "x" {
		t.Fatalf("got %q", got)
	}
}

func TestFullSpoolRefusesLoudly(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	b.down.Store(true)
	s := open(t, t.TempDir(), b, 200)
	if err := s.Put(ctx, "t/1.parquet", make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	err := s.Put(ctx, "t/2.parquet", make([]byte, 100))
	if !errors.Is(err, ErrFull) {
		t.Fatalf("want ErrFull, got %v", err)
	}
	if st := s.Stats(); !st.Full || st.Refused != 1 || st.Objects != 1 {
		t.Fatalf("stats %+v", st)
	}
	b.down.Store(false)
	if _, err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "t/2.parquet", make([]byte, 100)); err != nil {
		t.Fatalf("after drain: %v", err)
	}
}

func TestBackoffAvoidsRetryStorms(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	b.down.Store(true)
	s, err := Open(Config{Dir: t.TempDir(), Bucket: b, MinBackoff: time.Hour, MaxBackoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := s.Put(ctx, fmt.Sprintf("t/%d.parquet", i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	// One failed attempt; everything after joins the spool without
	// touching the store.
	if n := b.puts.Load(); n != 1 {
		t.Fatalf("store saw %d puts while down, want 1", n)
	}
}

func TestCorruptFileMovedAside(t *testing.T) {
	ctx := context.Background()
	b, dir := newBucket(t), t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "00000000000000000001-00000001.spool"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir, b, 1<<20)
	if _, err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	bad, _ := filepath.Glob(filepath.Join(dir, "*.bad"))
	tmp, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	if len(bad) != 1 || len(tmp) != 0 {
		t.Fatalf("bad=%v tmp=%v", bad, tmp)
	}
}

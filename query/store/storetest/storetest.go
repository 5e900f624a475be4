// Package storetest is the acceptance suite every store.Bucket backend must
// pass: the filesystem one directly, the S3 one against a real MinIO server.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query/store"
)

// Run runs the whole suite. newBucket must return an empty bucket each call.
func Run(t *testing.T, newBucket func(t *testing.T) store.Bucket) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b store.Bucket)
	}{
		{"PutGetStat", testPutGetStat},
		{"Missing", testMissing},
		{"CreateOnly", testCreateOnly},
		{"CompareAndSwap", testCAS},
		{"ConditionalGet", testConditionalGet},
		{"Ranges", testRanges},
		{"List", testList},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"CreateOnlyRace", testCreateOnlyRace},
		{"CASRace", testCASRace},
		{"CASCounter", testCASCounter},
		{"Update", testUpdate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newBucket(t)) })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func mustPut(t *testing.T, b store.Bucket, key string, data []byte, cond store.Condition) store.Info {
	t.Helper()
	info, err := b.Put(ctx(t), key, data, cond)
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return info
}

func mustGet(t *testing.T, b store.Bucket, key string) ([]byte, store.Info) {
	t.Helper()
	data, info, err := b.Get(ctx(t), key, "")
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return data, info
}

func testPutGetStat(t *testing.T, b store.Bucket) {
	big := bytes.Repeat([]byte("atlhyper\x00\xff"), 600_000) // 6 MB, binary
	for _, tc := range []struct {
		key  string
		data []byte
	}{
		{"a.json", []byte(`{"x":1}`)},
		{"table/cluster=c1/date=2026-11-25/00-agent-01J.parquet", big},
		{"empty", nil},
		{"unicode/名前 with spaces=and+signs", []byte("ok")},
	} {
		put := mustPut(t, b, tc.key, tc.data, store.Condition{})
		if put.ETag == "" || put.Size != int64(len(tc.data)) || put.Key != tc.key {
			t.Fatalf("put %s: info %+v", tc.key, put)
		}
		got, info := mustGet(t, b, tc.key)
		if !bytes.Equal(got, tc.data) {
			t.Fatalf("get %s: %d bytes, want %d", tc.key, len(got), len(tc.data))
		}
		if info.ETag != put.ETag || info.Size != put.Size {
			t.Fatalf("get %s: info %+v, put said %+v", tc.key, info, put)
		}
		st, err := b.Stat(ctx(t), tc.key)
		if err != nil || st.ETag != put.ETag || st.Size != put.Size {
			t.Fatalf("stat %s: %+v %v, put said %+v", tc.key, st, err, put)
		}
		if time.Since(st.Modified) > time.Hour || time.Until(st.Modified) > time.Hour {
			t.Fatalf("stat %s: modified %v is not now", tc.key, st.Modified)
		}
	}
	// Rewriting changes the ETag.
	first := mustPut(t, b, "a.json", []byte(`{"x":2}`), store.Condition{})
	second := mustPut(t, b, "a.json", []byte(`{"x":3}`), store.Condition{})
	if first.ETag == second.ETag {
		t.Fatalf("rewrite kept ETag %s", first.ETag)
	}
	if got, _ := mustGet(t, b, "a.json"); string(got) != `{"x":3}` {
		t.Fatalf("after rewrite: %s", got)
	}
}

func testMissing(t *testing.T, b store.Bucket) {
	if _, _, err := b.Get(ctx(t), "nope/x", ""); !store.IsNotFound(err) {
		t.Fatalf("get missing: %v, want not found", err)
	}
	if _, err := b.Stat(ctx(t), "nope/x"); !store.IsNotFound(err) {
		t.Fatalf("stat missing: %v, want not found", err)
	}
	if _, err := b.GetRange(ctx(t), "nope/x", 0, 10); !store.IsNotFound(err) {
		t.Fatalf("range missing: %v, want not found", err)
	}
	// A key that is a "directory" of another key does not exist either.
	mustPut(t, b, "dir/child", []byte("x"), store.Condition{})
	if _, _, err := b.Get(ctx(t), "dir", ""); !store.IsNotFound(err) {
		t.Fatalf("get prefix-of-key: %v, want not found", err)
	}
}

func testCreateOnly(t *testing.T, b store.Bucket) {
	first := mustPut(t, b, "users/alice.json", []byte("v1"), store.IfAbsent)
	_, err := b.Put(ctx(t), "users/alice.json", []byte("v2"), store.IfAbsent)
	if !store.IsPreconditionFailed(err) {
		t.Fatalf("second create-only: %v, want precondition failed", err)
	}
	got, info := mustGet(t, b, "users/alice.json")
	if string(got) != "v1" || info.ETag != first.ETag {
		t.Fatalf("create-only loser changed the object: %q %s", got, info.ETag)
	}
}

func testCAS(t *testing.T, b store.Bucket) {
	v1 := mustPut(t, b, "queue/head.json", []byte("1"), store.Condition{})
	v2, err := b.Put(ctx(t), "queue/head.json", []byte("2"), store.IfMatch(v1.ETag))
	if err != nil {
		t.Fatalf("cas with current etag: %v", err)
	}
	if v2.ETag == v1.ETag {
		t.Fatal("cas kept the etag")
	}
	if _, err := b.Put(ctx(t), "queue/head.json", []byte("3"), store.IfMatch(v1.ETag)); !store.IsPreconditionFailed(err) {
		t.Fatalf("cas with stale etag: %v, want precondition failed", err)
	}
	if got, _ := mustGet(t, b, "queue/head.json"); string(got) != "2" {
		t.Fatalf("stale cas changed the object to %q", got)
	}
	if _, err := b.Put(ctx(t), "queue/missing.json", []byte("x"), store.IfMatch(v1.ETag)); !store.IsPreconditionFailed(err) {
		t.Fatalf("cas on missing object: %v, want precondition failed", err)
	}
}

func testConditionalGet(t *testing.T, b store.Bucket) {
	v1 := mustPut(t, b, "state/current.json", []byte("one"), store.Condition{})
	_, info, err := b.Get(ctx(t), "state/current.json", v1.ETag)
	if !store.IsNotModified(err) {
		t.Fatalf("get with current etag: %v, want not modified", err)
	}
	_ = info
	v2 := mustPut(t, b, "state/current.json", []byte("two"), store.Condition{})
	data, info, err := b.Get(ctx(t), "state/current.json", v1.ETag)
	if err != nil || string(data) != "two" || info.ETag != v2.ETag {
		t.Fatalf("get with old etag: %q %+v %v", data, info, err)
	}
	if _, _, err := b.Get(ctx(t), "state/missing.json", v1.ETag); !store.IsNotFound(err) {
		t.Fatalf("conditional get of missing: %v, want not found", err)
	}
}

func testRanges(t *testing.T, b store.Bucket) {
	data := []byte("0123456789abcdefghij")
	mustPut(t, b, "r", data, store.Condition{})
	for _, tc := range []struct {
		off, n int64
		want   string
	}{
		{0, 5, "01234"}, {10, 4, "abcd"}, {15, 100, "fghij"}, {20, 5, ""}, {25, 1, ""}, {3, 0, ""},
	} {
		got, err := b.GetRange(ctx(t), "r", tc.off, tc.n)
		if err != nil || string(got) != tc.want {
			t.Fatalf("range %d+%d: %q %v, want %q", tc.off, tc.n, got, err, tc.want)
		}
	}
	ra := store.ReaderAt(ctx(t), b, "r", int64(len(data)))
	buf := make([]byte, 6)
	n, err := ra.ReadAt(buf, 17)
	if n != 3 || err != io.EOF || string(buf[:n]) != "hij" {
		t.Fatalf("ReaderAt tail: %d %v %q", n, err, buf[:n])
	}
	n, err = ra.ReadAt(buf, 2)
	if n != 6 || err != nil || string(buf) != "234567" {
		t.Fatalf("ReaderAt middle: %d %v %q", n, err, buf)
	}
}

func testList(t *testing.T, b store.Bucket) {
	keys := []string{"a-c", "a/b", "a/b2/x", "a/c", "ab", "b/1", "b/2", "b/3"}
	for _, k := range keys {
		mustPut(t, b, k, []byte(k), store.Condition{})
	}
	all, err := store.ListAll(ctx(t), b, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(all); fmt.Sprint(got) != fmt.Sprint(keys) {
		t.Fatalf("list all: %v, want %v (byte order)", got, keys)
	}
	for _, info := range all {
		if info.Size != int64(len(info.Key)) || info.ETag == "" {
			t.Fatalf("list info %+v", info)
		}
	}
	for prefix, want := range map[string][]string{
		"a/": {"a/b", "a/b2/x", "a/c"}, "a/b": {"a/b", "a/b2/x"}, "a": {"a-c", "a/b", "a/b2/x", "a/c", "ab"},
		"b/": {"b/1", "b/2", "b/3"}, "zz": nil, "a/b2/": {"a/b2/x"},
	} {
		got, err := store.ListAll(ctx(t), b, prefix)
		if err != nil || fmt.Sprint(keysOf(got)) != fmt.Sprint(want) {
			t.Fatalf("list %q: %v %v, want %v", prefix, keysOf(got), err, want)
		}
	}
	page, more, err := b.List(ctx(t), "b/", "", 2)
	if err != nil || !more || fmt.Sprint(keysOf(page)) != "[b/1 b/2]" {
		t.Fatalf("page 1: %v %v %v", keysOf(page), more, err)
	}
	page, more, err = b.List(ctx(t), "b/", "b/2", 2)
	if err != nil || more || fmt.Sprint(keysOf(page)) != "[b/3]" {
		t.Fatalf("page 2: %v %v %v", keysOf(page), more, err)
	}
	// Many keys page correctly.
	for i := 0; i < 25; i++ {
		mustPut(t, b, fmt.Sprintf("many/%03d", i), nil, store.Condition{})
	}
	var got []string
	after := ""
	for {
		page, more, err := b.List(ctx(t), "many/", after, 7)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, keysOf(page)...)
		if !more {
			break
		}
		after = page[len(page)-1].Key
	}
	if len(got) != 25 || got[0] != "many/000" || got[24] != "many/024" {
		t.Fatalf("paged list: %v", got)
	}
}

func testDelete(t *testing.T, b store.Bucket) {
	mustPut(t, b, "d/x/y", []byte("1"), store.Condition{})
	mustPut(t, b, "d/z", []byte("1"), store.Condition{})
	if err := b.Delete(ctx(t), "d/x/y"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx(t), "d/x/y"); err != nil {
		t.Fatalf("delete missing: %v", err)
	}
	if _, err := b.Stat(ctx(t), "d/x/y"); !store.IsNotFound(err) {
		t.Fatalf("stat deleted: %v", err)
	}
	all, _ := store.ListAll(ctx(t), b, "d/")
	if fmt.Sprint(keysOf(all)) != "[d/z]" {
		t.Fatalf("after delete: %v", keysOf(all))
	}
	// The key can be created again, create-only.
	mustPut(t, b, "d/x/y", []byte("2"), store.IfAbsent)
}

func testInvalidKeys(t *testing.T, b store.Bucket) {
	for _, key := range []string{"", "/abs", "a//b", "a/../b", "./a", "a/", "x\x00y", `a\b`, ".atlhyper/locks/00", string(bytes.Repeat([]byte("k"), 1025))} {
		if _, err := b.Put(ctx(t), key, []byte("x"), store.Condition{}); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("put %q: %v, want invalid key", key, err)
		}
		if _, _, err := b.Get(ctx(t), key, ""); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("get %q: %v, want invalid key", key, err)
		}
	}
}

// testCreateOnlyRace: many writers create the same key at once; exactly one wins.
func testCreateOnlyRace(t *testing.T, b store.Bucket) {
	for round := 0; round < 5; round++ {
		key := fmt.Sprintf("race/create-%d", round)
		var wins atomic.Int32
		var winner atomic.Value
		var wg sync.WaitGroup
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := b.Put(ctx(t), key, []byte(strconv.Itoa(i)), store.IfAbsent)
				switch {
				case err == nil:
					wins.Add(1)
					winner.Store(strconv.Itoa(i))
				case !store.IsPreconditionFailed(err):
					t.Errorf("writer %d: %v", i, err)
				}
			}(i)
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d winners, want exactly 1", round, wins.Load())
		}
		if got, _ := mustGet(t, b, key); string(got) != winner.Load() {
			t.Fatalf("round %d: stored %q, winner wrote %q", round, got, winner.Load())
		}
	}
}

// testCASRace: many writers CAS from the same ETag; exactly one wins.
func testCASRace(t *testing.T, b store.Bucket) {
	base := mustPut(t, b, "race/cas", []byte("base"), store.Condition{})
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := b.Put(ctx(t), "race/cas", []byte(strconv.Itoa(i)), store.IfMatch(base.ETag))
			switch {
			case err == nil:
				wins.Add(1)
			case !store.IsPreconditionFailed(err):
				t.Errorf("writer %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d winners, want exactly 1", wins.Load())
	}
}

// testCASCounter: read-modify-write with CAS retries loses no increment.
func testCASCounter(t *testing.T, b store.Bucket) {
	mustPut(t, b, "race/counter", []byte("0"), store.Condition{})
	const writers, each = 6, 8
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := Increment(ctx(t), b, "race/counter"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got, _ := mustGet(t, b, "race/counter"); string(got) != strconv.Itoa(writers*each) {
		t.Fatalf("counter %s, want %d: lost updates", got, writers*each)
	}
}

// Increment adds one to the decimal counter at key (a JSON number) with
// store.Update. Exported so tests of other processes can drive the same
// protocol.
func Increment(ctx context.Context, b store.Bucket, key string) error {
	_, _, err := store.Update(ctx, b, key, func(n *int, _ bool) error { *n++; return nil })
	return err
}

// testUpdate: Update creates a missing object, loses no update under
// contention, and leaves the object alone when fn fails.
func testUpdate(t *testing.T, b store.Bucket) {
	type doc struct {
		Hits  int      `json:"hits"`
		Names []string `json:"names"`
	}
	const writers, each = 5, 6
	var wg sync.WaitGroup
	created := atomic.Int64{}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, _, err := store.Update(ctx(t), b, "update/doc.json", func(d *doc, exists bool) error {
					if !exists {
						created.Add(1)
					}
					d.Hits++
					d.Names = append(d.Names, fmt.Sprintf("w%d-%d", w, i))
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got, _ := mustGet(t, b, "update/doc.json")
	var d doc
	if err := json.Unmarshal(got, &d); err != nil {
		t.Fatal(err)
	}
	if d.Hits != writers*each || len(d.Names) != writers*each {
		t.Fatalf("hits %d names %d, want %d: lost updates", d.Hits, len(d.Names), writers*each)
	}
	if created.Load() == 0 {
		t.Error("fn never saw the object missing")
	}
	stop := errors.New("stop")
	_, _, err := store.Update(ctx(t), b, "update/doc.json", func(d *doc, _ bool) error { d.Hits = -1; return stop })
	if err != stop {
		t.Fatalf("fn's error: %v", err)
	}
	if again, _ := mustGet(t, b, "update/doc.json"); string(again) != string(got) {
		t.Fatalf("a failed update wrote: %s", again)
	}
	mustPut(t, b, "update/bad.json", []byte("{not json"), store.Condition{})
	if _, _, err := store.Update(ctx(t), b, "update/bad.json", func(*doc, bool) error { return nil }); err == nil {
		t.Fatal("Update accepted an unreadable object")
	}
}

func keysOf(infos []store.Info) []string {
	var keys []string
	for _, i := range infos {
		keys = append(keys, i.Key)
	}
	return keys
}

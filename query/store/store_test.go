package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
	"github.com/atlhyper/atlhyper/query/store/storetest"
)

func TestFileAcceptance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Bucket {
		b, err := store.Open(context.Background(), "file://"+t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

func TestS3Acceptance(t *testing.T) {
	srv := miniotest.Start(t)
	storetest.Run(t, func(t *testing.T) store.Bucket { return srv.NewBucket(t) })
}

func TestOpenURLs(t *testing.T) {
	for _, bad := range []string{"", "/no/scheme", "ftp://x/y", "file://host/path", "file://relative", "s3://", "s3:///prefix", "s3://b/p?insecure=maybe", "s3://b/p?retries=0"} {
		if _, err := store.Open(context.Background(), bad); err == nil {
			t.Errorf("Open(%q) succeeded, want error", bad)
		}
	}
	b, err := store.Open(context.Background(), "s3://bucket/some/prefix?endpoint=http://127.0.0.1:1&region=eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "s3://bucket/some/prefix/ (http://127.0.0.1:1)" {
		t.Fatalf("String() = %q", got)
	}
}

// TestS3Unavailable: a store nobody listens on fails fast with ErrUnavailable.
func TestS3Unavailable(t *testing.T) {
	b, err := store.Open(context.Background(), "s3://bucket/p?endpoint=127.0.0.1:1&insecure=true&retries=1&region=us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := b.Get(ctx, "k", ""); !store.IsUnavailable(err) {
		t.Fatalf("get: %v, want unavailable", err)
	}
	if _, err := b.Put(ctx, "k", []byte("x"), store.IfAbsent); !store.IsUnavailable(err) {
		t.Fatalf("put: %v, want unavailable", err)
	}
	if _, _, err := b.List(ctx, "", "", 10); !store.IsUnavailable(err) {
		t.Fatalf("list: %v, want unavailable", err)
	}
}

// TestFileCrossProcess: separate processes race create-only and CAS on one
// directory; the flock-based stripes give exactly one winner and no lost
// updates.
func TestFileCrossProcess(t *testing.T) {
	if os.Getenv("STORE_CHILD_DIR") != "" {
		return // running as a child: see TestMain
	}
	dir := t.TempDir()
	b, err := store.NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(context.Background(), "counter", []byte("0"), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	const procs, each = 4, 25
	var cmds []*exec.Cmd
	for i := 0; i < procs; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "STORE_CHILD_DIR="+dir, "STORE_CHILD_ID="+strconv.Itoa(i), "STORE_CHILD_N="+strconv.Itoa(each))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	winners := 0
	for _, cmd := range cmds {
		err := cmd.Wait()
		switch code := cmd.ProcessState.ExitCode(); code {
		case 10:
			winners++
		case 11:
		default:
			t.Fatalf("child exited %d: %v", code, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d processes won create-only, want exactly 1", winners)
	}
	data, _, err := b.Get(context.Background(), "counter", "")
	if err != nil || string(data) != strconv.Itoa(procs*each) {
		t.Fatalf("counter %s %v, want %d", data, err, procs*each)
	}
}

func TestMain(m *testing.M) {
	if dir := os.Getenv("STORE_CHILD_DIR"); dir != "" {
		os.Exit(child(dir))
	}
	os.Exit(m.Run())
}

// child increments the shared counter N times, then races create-only;
// exit 10 means it won the create, 11 that it lost.
func child(dir string) int {
	b, err := store.NewFile(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	n, _ := strconv.Atoi(os.Getenv("STORE_CHILD_N"))
	for i := 0; i < n; i++ {
		if err := storetest.Increment(ctx, b, "counter"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	_, err = b.Put(ctx, "winner", []byte(os.Getenv("STORE_CHILD_ID")), store.IfAbsent)
	switch {
	case err == nil:
		return 10
	case store.IsPreconditionFailed(err):
		return 11
	}
	fmt.Fprintln(os.Stderr, err)
	return 1
}

func TestMeteredCounts(t *testing.T) {
	b, _ := store.NewFile(t.TempDir())
	m := store.NewMetered(b)
	ctx := context.Background()
	m.Put(ctx, "a", []byte("12345"), store.Condition{})
	m.Put(ctx, "a", []byte("x"), store.IfAbsent) // precondition: not an error
	_, info, _ := m.Get(ctx, "a", "")
	m.Get(ctx, "a", info.ETag) // 304: counted as a GET, and as not modified
	m.Get(ctx, "missing", "")
	m.GetRange(ctx, "a", 0, 2)
	m.Stat(ctx, "a")
	m.List(ctx, "", "", 10)
	m.Delete(ctx, "a")
	m.Put(ctx, "../bad", nil, store.Condition{}) // invalid key: an error
	want := store.Requests{Put: 3, Get: 4, List: 1, Delete: 1, Head: 1, Errors: 1, NotModified: 1, PreconditionFailed: 1, BytesIn: 5, BytesOut: 7}
	if got := m.Requests(); got != want {
		t.Fatalf("counts %+v, want %+v", got, want)
	}
	if d := want.Add(want).Sub(want); d != want {
		t.Fatalf("add then sub: %+v", d)
	}
}

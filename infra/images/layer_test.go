package images

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLayerReproducible: a layer's digest depends on its entries' paths,
// contents, modes and owners and the epoch — not on the order they are
// given in nor on the source files' times or modes on this machine.
func TestLayerReproducible(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "a.js")
	os.WriteFile(src, []byte("console.log(1)\n"), 0o600)
	epoch := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	es := []entry{
		{path: "/usr/share/web/a.js", src: src, mode: 0o644},
		{path: "/etc/passwd", data: []byte("root:x:0:0::/:/sbin/nologin\n"), mode: 0o644},
		{path: "/tmp", dir: true, mode: 0o1777},
	}
	l1, err := layer(es, epoch)
	if err != nil {
		t.Fatal(err)
	}
	os.Chtimes(src, time.Now(), time.Now().Add(time.Hour))
	os.Chmod(src, 0o755)
	l2, err := layer([]entry{es[2], es[0], es[1]}, epoch)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := l1.Digest()
	d2, _ := l2.Digest()
	if d1 != d2 {
		t.Fatalf("same entries, other order and source times: %s then %s", d1, d2)
	}
	l3, _ := layer(es, epoch.Add(time.Second))
	if d3, _ := l3.Digest(); d3 == d1 {
		t.Fatal("another epoch gave the same digest")
	}

	rc, err := l1.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(epoch) || h.Uid != 0 || h.Uname != "" || !h.AccessTime.IsZero() {
			t.Errorf("%s: mtime %s uid %d uname %q atime %s", h.Name, h.ModTime, h.Uid, h.Uname, h.AccessTime)
		}
		names = append(names, h.Name)
	}
	want := []string{"etc/", "etc/passwd", "tmp/", "usr/", "usr/share/", "usr/share/web/", "usr/share/web/a.js"}
	if len(names) != len(want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("entries %v, want %v", names, want)
		}
	}
}

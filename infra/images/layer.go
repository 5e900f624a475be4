package images

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// entry is one file or directory of a layer. Content comes from data, else
// from the file src on this machine (symlinks followed: the image holds
// regular files only).
type entry struct {
	path     string // absolute, in the image
	src      string
	data     []byte
	dir      bool
	mode     int64
	uid, gid int
}

// layer makes a reproducible layer of entries: every parent directory
// present, sorted by path, one modification time (epoch), numeric
// owners only (root unless the entry says otherwise), no access or change
// times, gzip without a timestamp. The same entries and epoch always give
// the same digest.
func layer(entries []entry, epoch time.Time) (v1.Layer, error) {
	all := map[string]entry{}
	for _, e := range entries {
		e.path = path.Clean("/" + e.path)
		all[e.path] = e
		for d := path.Dir(e.path); d != "/"; d = path.Dir(d) {
			if _, ok := all[d]; !ok {
				all[d] = entry{path: d, dir: true, mode: 0o755}
			}
		}
	}
	names := make([]string, 0, len(all))
	for p := range all {
		names = append(names, p)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range names {
		e := all[p]
		h := &tar.Header{Name: strings.TrimPrefix(p, "/"), Mode: e.mode, Uid: e.uid, Gid: e.gid, ModTime: epoch, Format: tar.FormatPAX}
		var data []byte
		if e.dir {
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		} else {
			h.Typeflag = tar.TypeReg
			data = e.data
			if e.src != "" {
				var err error
				if data, err = os.ReadFile(e.src); err != nil {
					return nil, err
				}
			}
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// treeEntries is every file under dir, placed under at: directories 0755,
// files 0644, whatever their modes here.
func treeEntries(dir, at string) ([]entry, error) {
	var out []entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		dst := path.Join(at, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			out = append(out, entry{path: dst, dir: true, mode: 0o755})
		default:
			out = append(out, entry{path: dst, src: p, mode: 0o644})
		}
		return nil
	})
	return out, err
}

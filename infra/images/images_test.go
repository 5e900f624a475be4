package images_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/atlhyper/atlhyper/infra/images"
	"github.com/atlhyper/atlhyper/internal/controlplane"
)

const (
	tag      = "0.0.0-test"
	revision = "0123456789abcdef0123456789abcdef01234567"
)

var epoch = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// build builds the images of platforms into a fresh output directory.
func build(t *testing.T, gocache string, platforms ...string) []images.Result {
	t.Helper()
	web := t.TempDir()
	os.WriteFile(filepath.Join(web, "index.html"), []byte("<!doctype html><title>AtlHyper</title>\n"), 0o600)
	os.MkdirAll(filepath.Join(web, "assets"), 0o700)
	os.WriteFile(filepath.Join(web, "assets", "app.js"), []byte("console.log('atlhyper')\n"), 0o600)
	start := time.Now()
	res, err := images.Build(t.Context(), images.Config{Source: "../..", Web: web, Out: t.TempDir(), Platforms: platforms,
		Tag: tag, Revision: revision, Epoch: epoch, GoCache: gocache})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %d images for %v in %s (GOCACHE %q)", len(res), platforms, time.Since(start).Round(time.Second), gocache)
	return res
}

// platformDigests is each image's manifest digest per platform.
func platformDigests(t *testing.T, res []images.Result) map[string]v1.Hash {
	t.Helper()
	out := map[string]v1.Hash{}
	for _, r := range res {
		im, err := r.Index.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range im.Manifests {
			out[r.Name+" "+m.Platform.String()] = m.Digest
		}
	}
	return out
}

// TestImages builds every image for both platforms, checks that a second
// build of linux/amd64 from an empty output directory and an empty Go build
// cache gives the same digests, pushes each image to a registry on
// 127.0.0.1 and pulls it back, checks its config, and runs the binaries
// from the pulled images' filesystems: the agent's and collector's
// --version (arm64 under qemu-user), and the API answering
// /api/v1/health from the image's files alone.
func TestImages(t *testing.T) {
	for _, tool := range []string{"aarch64-linux-gnu-gcc", "qemu-aarch64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run scripts/tools/install cross", tool)
		}
	}
	n, err := images.LoadNames()
	if err != nil {
		t.Fatal(err)
	}
	first := build(t, "", "linux/amd64", "linux/arm64")
	if len(first) != len(n.Images) {
		t.Fatalf("%d images built, images.json names %d", len(first), len(n.Images))
	}

	t.Run("reproducible", func(t *testing.T) {
		// linux/amd64 only: its cgo API is built the same way as arm64's
		// (only the C compiler differs), and a second platform from an
		// empty cache would double this test's time.
		second := build(t, t.TempDir(), "linux/amd64")
		a, b := platformDigests(t, first), platformDigests(t, second)
		for k, d := range b {
			if a[k] != d {
				t.Errorf("%s: %s, then %s from a clean output directory and Go build cache", k, a[k], d)
			}
		}
		if len(b) != len(n.Images) {
			t.Errorf("second build: %d manifests", len(b))
		}
	})

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	refs, err := images.Push(t.Context(), first, host+"/atlhyper", "")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range first {
		want := host + "/atlhyper/" + r.Name + ":" + tag
		if refs[i] != want {
			t.Fatalf("pushed %s, want %s", refs[i], want)
		}
		t.Run(r.Name, func(t *testing.T) { checkImage(t, n, r, want) })
	}
}

func checkImage(t *testing.T, n images.Names, built images.Result, ref string) {
	spec := n.Images[built.Name]
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := idx.Digest(); d != built.Digest {
		t.Fatalf("pulled %s, pushed %s", d, built.Digest)
	}
	if err := validate.Index(idx); err != nil { // every blob's digest and size
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var plats []string
	for _, m := range im.Manifests {
		plats = append(plats, m.Platform.String())
	}
	if !slices.Equal(plats, []string{"linux/amd64", "linux/arm64/v8"}) {
		t.Fatalf("platforms %v", plats)
	}
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		arch := m.Platform.Architecture
		c := cf.Config
		if cf.OS != "linux" || cf.Architecture != arch || c.User != "65532:65532" || !slices.Equal(c.Entrypoint, spec.Entrypoint) {
			t.Errorf("%s: os %s arch %s user %q entrypoint %v", arch, cf.OS, cf.Architecture, c.User, c.Entrypoint)
		}
		for k, v := range map[string]string{"org.opencontainers.image.source": n.Source, "org.opencontainers.image.revision": revision,
			"org.opencontainers.image.version": tag, "org.opencontainers.image.created": "2026-12-01T00:00:00Z"} {
			if c.Labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", arch, k, c.Labels[k], v)
			}
		}
		size := int64(0)
		layers, _ := img.Layers()
		for _, l := range layers {
			s, _ := l.Size()
			size += s
		}
		t.Logf("%s %s: %d layers, %.1f MiB compressed", built.Name, m.Platform, len(layers), float64(size)/(1<<20))

		root := extract(t, img)
		for _, p := range []string{images.CACerts, "/etc/passwd", "/etc/group"} {
			if st, err := os.Stat(filepath.Join(root, p)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %s missing or empty", arch, p)
			}
		}
		if spec.Dashboard != "" {
			if st, err := os.Stat(filepath.Join(root, spec.Dashboard, "assets", "app.js")); err != nil || st.Size() == 0 {
				t.Errorf("%s: the dashboard is not in %s", arch, spec.Dashboard)
			}
		}
		switch built.Name {
		case "agent", "collector":
			bin := filepath.Join(root, spec.Entrypoint[0])
			cmd := exec.CommandContext(t.Context(), bin, "--version")
			if arch == "arm64" {
				cmd = exec.CommandContext(t.Context(), "qemu-aarch64", bin, "--version")
			}
			out, err := cmd.CombinedOutput()
			want := fmt.Sprintf("%s %s (revision %s)\n", built.Name, tag, revision)
			if err != nil || string(out) != want {
				t.Errorf("%s: %s --version: %v %q, want %q", arch, built.Name, err, out, want)
			}
		case "api":
			serveHealth(t, root, arch, c.Env)
		}
	}
}

// extract writes an image's filesystem into a fresh directory, with the
// modes (and, as root, the owners) the image gives.
func extract(t *testing.T, img v1.Image) string {
	t.Helper()
	root := t.TempDir()
	os.Chmod(root, 0o755) // the image's /, for 65532 in a chroot
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o755)
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			f.Close()
		default:
			t.Fatalf("%s: unexpected entry type %c (the images hold files and directories only)", h.Name, h.Typeflag)
		}
		if err := os.Chmod(p, os.FileMode(h.Mode).Perm()|modeBits(h.Mode)); err != nil {
			t.Fatal(err)
		}
		if os.Getuid() == 0 {
			os.Lchown(p, h.Uid, h.Gid)
		}
	}
	return root
}

func modeBits(m int64) os.FileMode {
	var out os.FileMode
	if m&0o1000 != 0 {
		out |= os.ModeSticky
	}
	return out
}

// serveHealth starts the API from the image's filesystem against a file
// store under its /tmp and waits for /api/v1/health. amd64: as root, in a
// chroot of that filesystem as 65532 (nothing from this machine can be
// loaded); otherwise through the image's own dynamic loader with only its
// library directory, then every mapped file is checked to be the image's.
// arm64: under qemu-user with the filesystem as its prefix (-L); this
// machine has no arm64 libraries where the loader looks, so they can only
// come from the image.
func serveHealth(t *testing.T, root, arch string, env []string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	bin := "/usr/local/bin/api"
	chroot := arch == runtime.GOARCH && os.Getuid() == 0
	at := root // where the image's / is, as the api sees this machine
	if chroot {
		at = ""
	}
	env = slices.Clone(env)
	for i, e := range env {
		if v, ok := strings.CutPrefix(e, "ATLHYPER_WEB="); ok {
			env[i] = "ATLHYPER_WEB=" + at + v
		}
	}
	env = append(env, "ATLHYPER_LISTEN="+addr, "ATLHYPER_STORE=file://"+at+"/tmp/lake", "TMPDIR="+at+"/tmp",
		"ATLHYPER_JWT_SECRET=image-test-secret-8d1f2a6c4b9e7035a1c2", "ATLHYPER_ADMIN_USER=admin",
		"ATLHYPER_ADMIN_PASSWORD=Kilo-Image-2026!#", "ATLHYPER_BCRYPT_COST=4", "ATLHYPER_LOG_FORMAT=text")
	var cmd *exec.Cmd
	switch {
	case arch != runtime.GOARCH:
		cmd = exec.CommandContext(t.Context(), "qemu-aarch64", "-L", root, root+bin)
	case chroot:
		cmd = exec.CommandContext(t.Context(), bin)
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: images.UID, Gid: images.UID}}
		cmd.Dir = "/"
	default:
		loader, _ := filepath.Glob(filepath.Join(root, "lib64", "ld-linux-*.so.*"))
		if len(loader) != 1 {
			t.Fatalf("no dynamic loader in the image: %v", loader)
		}
		cmd = exec.CommandContext(t.Context(), loader[0], "--inhibit-cache", "--library-path", filepath.Join(root, "lib", "x86_64-linux-gnu"), root+bin)
	}
	var logs bytes.Buffer
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed once the api has exited and logs holds all it wrote
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}
	defer stop()
	var body []byte
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute) // DuckDB under qemu on a loaded machine
	defer cancel()
	err = controlplane.WaitFor(ctx, arch+" api /api/v1/health", func(ctx context.Context) (bool, string, error) {
		select {
		case <-exited:
			return false, "", errors.New("the api exited")
		default:
		}
		resp, err := http.Get("http://" + addr + "/api/v1/health")
		if err != nil {
			return false, err.Error(), nil
		}
		defer resp.Body.Close()
		body, _ = io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK, resp.Status, nil
	})
	if err != nil {
		stop()
		t.Fatalf("%v\n%s", err, logs.String())
	}
	if !strings.Contains(string(body), `"version":"`+tag+`"`) {
		t.Errorf("%s health: %s", arch, body)
	}
	if !chroot && arch == runtime.GOARCH {
		maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(maps), "\n") {
			f := strings.Fields(line)
			if len(f) == 6 && strings.HasPrefix(f[5], "/") && strings.Contains(f[5], ".so") && !strings.HasPrefix(f[5], root) {
				t.Errorf("the api mapped %s, which is not in the image", f[5])
			}
		}
	}
	t.Logf("%s api (chroot %v) answered health: %s", arch, chroot, bytes.TrimSpace(body))
}

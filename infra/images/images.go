// Package images builds AtlHyper's container images without Docker or a
// base image: Go binaries built here (-trimpath, no build id, version and
// revision stamped with -X), Debian's CA certificates from this machine,
// a passwd/group naming the non-root user 65532, and for the cgo API
// exactly the shared libraries and dynamic loader its ELF headers ask
// for. Each image is an OCI index of linux/amd64 and linux/arm64, written
// as an OCI layout and optionally pushed to a registry.
//
// The names, tag and platforms are in images.json beside this file, the
// one place the Helm chart (infra/helm) reads them from too. Same source,
// revision and epoch (SOURCE_DATE_EPOCH, else the commit time) give the
// same digests. docs/install.md, Images, says what each image holds.
package images

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

//go:embed images.json
var namesJSON []byte

// Names is images.json: where the images go and what each runs.
type Names struct {
	Registry  string           `json:"registry"`
	Tag       string           `json:"tag"`
	Source    string           `json:"source"`
	Platforms []string         `json:"platforms"`
	Images    map[string]Image `json:"images"`
}

// Image is one image: its entrypoint (the first binary), the other
// binaries it carries, and where the built dashboard goes if it carries
// it (the web image is the dashboard alone, for an image volume).
type Image struct {
	Entrypoint []string `json:"entrypoint"`
	Also       []string `json:"also"`
	Ports      []int    `json:"ports"`
	Dashboard  string   `json:"dashboard"`
	Env        []string `json:"env"`
}

// Binaries are the images' programs, each with its main package and
// whether it links C (DuckDB): those need a C toolchain for the target.
var Binaries = map[string]struct {
	Pkg string
	Cgo bool
}{
	"agent":     {"./agent/cmd/agent", false},
	"collector": {"./collector/cmd/collector", false},
	"api":       {"./functions/cmd/api", true},
	"scheduler": {"./functions/cmd/scheduler", true},
}

// Paths inside every image.
const (
	BinDir  = "/usr/local/bin"
	CACerts = "/etc/ssl/certs/ca-certificates.crt"
	UID     = 65532
)

// LoadNames reads the embedded images.json.
func LoadNames() (Names, error) {
	var n Names
	if err := json.Unmarshal(namesJSON, &n); err != nil {
		return n, fmt.Errorf("images.json: %w", err)
	}
	return n, nil
}

// Config is one build.
type Config struct {
	Source    string    // the module root (holds go.mod)
	Web       string    // the built dashboard (web/dist): needed by images with a "dashboard"
	Out       string    // output: <Out>/<image> is each image's OCI layout
	Images    []string  // which images (default: all in images.json)
	Platforms []string  // os/arch (default: images.json's)
	Registry  string    // default: images.json's
	Tag       string    // the version, default: images.json's
	Revision  string    // default: git rev-parse HEAD in Source
	Epoch     time.Time // every timestamp; default: SOURCE_DATE_EPOCH, else the commit time
	CACerts   string    // default: /etc/ssl/certs/ca-certificates.crt (Debian's ca-certificates)
	GoCache   string    // GOCACHE for the builds (default: the user's)
	Log       io.Writer // progress (default: discarded)
}

// Result is one built image.
type Result struct {
	Name   string
	Ref    string // registry/name:tag
	Index  v1.ImageIndex
	Digest v1.Hash
	Layout string // its OCI layout directory
}

func (c *Config) defaults(n Names) error {
	if c.Source == "" {
		return errors.New("no source directory")
	}
	if _, err := os.Stat(filepath.Join(c.Source, "go.mod")); err != nil {
		return fmt.Errorf("source %s: no go.mod", c.Source)
	}
	if c.Out == "" {
		return errors.New("no output directory")
	}
	if len(c.Images) == 0 {
		for k := range n.Images {
			c.Images = append(c.Images, k)
		}
	}
	sort.Strings(c.Images)
	for _, im := range c.Images {
		if _, ok := n.Images[im]; !ok {
			return fmt.Errorf("unknown image %q (images.json has %s)", im, strings.Join(keys(n.Images), ", "))
		}
	}
	if len(c.Platforms) == 0 {
		c.Platforms = n.Platforms
	}
	for _, p := range c.Platforms {
		if _, ok := triplet[strings.TrimPrefix(p, "linux/")]; !strings.HasPrefix(p, "linux/") || !ok {
			return fmt.Errorf("platform %q: want linux/amd64 or linux/arm64", p)
		}
	}
	if c.Registry == "" {
		c.Registry = n.Registry
	}
	if c.Tag == "" {
		c.Tag = n.Tag
	}
	if c.Revision == "" {
		out, err := git(c.Source, "rev-parse", "HEAD")
		if err != nil {
			return fmt.Errorf("revision: %w (or give one)", err)
		}
		c.Revision = out
	}
	if c.Epoch.IsZero() {
		s := os.Getenv("SOURCE_DATE_EPOCH")
		if s == "" {
			var err error
			if s, err = git(c.Source, "log", "-1", "--format=%ct"); err != nil {
				return fmt.Errorf("epoch: %w (or set SOURCE_DATE_EPOCH)", err)
			}
		}
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970", s)
		}
		c.Epoch = time.Unix(sec, 0)
	}
	c.Epoch = c.Epoch.UTC()
	if c.CACerts == "" {
		c.CACerts = CACerts
	}
	if _, err := os.Stat(c.CACerts); err != nil {
		return fmt.Errorf("CA certificates: %w (install Debian's ca-certificates)", err)
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Build builds the images of cfg, each into its OCI layout <Out>/<name>
// (replaced if present), and returns them.
func Build(ctx context.Context, cfg Config) ([]Result, error) {
	n, err := LoadNames()
	if err != nil {
		return nil, err
	}
	if err := cfg.defaults(n); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "atlhyper-images-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	// Which binaries, and where the dashboard is wanted.
	need := map[string]bool{}
	webLayers := map[string]v1.Layer{}
	for _, im := range cfg.Images {
		for _, b := range binariesOf(n.Images[im]) {
			if _, ok := Binaries[b]; !ok {
				return nil, fmt.Errorf("image %s: no binary %q", im, b)
			}
			need[b] = true
		}
		at := n.Images[im].Dashboard
		if at == "" || webLayers[at] != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(cfg.Web, "index.html")); cfg.Web == "" || err != nil {
			return nil, fmt.Errorf("web bundle %q has no index.html: build it first (cd web && npm ci && npm run build)", cfg.Web)
		}
		es, err := treeEntries(cfg.Web, at)
		if err != nil {
			return nil, err
		}
		if webLayers[at], err = layer(es, cfg.Epoch); err != nil {
			return nil, err
		}
	}
	base, err := baseLayer(cfg)
	if err != nil {
		return nil, err
	}

	images := map[string][]mutate.IndexAddendum{}
	for _, plat := range cfg.Platforms {
		arch := strings.TrimPrefix(plat, "linux/")
		dir := filepath.Join(work, arch)
		if err := buildBinaries(ctx, cfg, arch, dir, need); err != nil {
			return nil, err
		}
		for _, im := range cfg.Images {
			spec := n.Images[im]
			var bins, libs []entry
			for _, b := range binariesOf(spec) {
				src := filepath.Join(dir, b)
				bins = append(bins, entry{path: BinDir + "/" + b, src: src, mode: 0o755})
				deps, err := dynamicDeps(src, arch, libDirs(arch))
				if err != nil {
					return nil, err
				}
				libs = append(libs, deps...)
			}
			layers := []v1.Layer{base}
			if len(libs) > 0 {
				l, err := layer(libs, cfg.Epoch)
				if err != nil {
					return nil, err
				}
				layers = append(layers, l)
			}
			if spec.Dashboard != "" {
				layers = append(layers, webLayers[spec.Dashboard])
			}
			if len(bins) > 0 {
				l, err := layer(bins, cfg.Epoch)
				if err != nil {
					return nil, err
				}
				layers = append(layers, l)
			}
			img, err := image(cfg, n, im, spec, arch, layers)
			if err != nil {
				return nil, err
			}
			p := &v1.Platform{OS: "linux", Architecture: arch}
			if arch == "arm64" {
				p.Variant = "v8"
			}
			images[im] = append(images[im], mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
		}
	}

	var out []Result
	for _, im := range cfg.Images {
		idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), images[im]...)
		r := Result{Name: im, Ref: cfg.Registry + "/" + im + ":" + cfg.Tag, Index: idx, Layout: filepath.Join(cfg.Out, im)}
		if r.Digest, err = idx.Digest(); err != nil {
			return nil, err
		}
		if err := os.RemoveAll(r.Layout); err != nil {
			return nil, err
		}
		p, err := layout.Write(r.Layout, empty.Index)
		if err != nil {
			return nil, err
		}
		if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": r.Ref})); err != nil {
			return nil, fmt.Errorf("write %s: %w", r.Layout, err)
		}
		fmt.Fprintf(cfg.Log, "images: %s %s@%s\n", r.Layout, r.Ref, r.Digest)
		out = append(out, r)
	}
	return out, nil
}

func binariesOf(spec Image) []string {
	var out []string
	bins := slices.Clone(spec.Also)
	if len(spec.Entrypoint) > 0 {
		bins = append([]string{spec.Entrypoint[0]}, bins...)
	}
	for _, p := range bins {
		out = append(out, path.Base(p))
	}
	return out
}

// buildBinaries builds the needed binaries for arch into dir: pure Go ones
// static, cgo ones with the C toolchain for arch (Debian's
// <triplet>-gcc when cross-compiling). Reproducible: -trimpath, no build
// id or VCS stamp, the version and revision given with -X, and the
// architecture levels fixed rather than taken from the environment.
func buildBinaries(ctx context.Context, cfg Config, arch, dir string, need map[string]bool) error {
	ldflags := strings.Join([]string{"-s", "-w", "-buildid=",
		"-X", "github.com/atlhyper/atlhyper/internal/cli.Version=" + cfg.Tag,
		"-X", "github.com/atlhyper/atlhyper/internal/cli.Revision=" + cfg.Revision,
		"-X", "github.com/atlhyper/atlhyper/agent.Version=" + cfg.Tag}, " ")
	for _, cgo := range []bool{false, true} {
		var pkgs []string
		for _, b := range keys(Binaries) {
			if need[b] && Binaries[b].Cgo == cgo {
				pkgs = append(pkgs, Binaries[b].Pkg)
			}
		}
		if len(pkgs) == 0 {
			continue
		}
		env := append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "GOAMD64=v1", "GOARM64=v8.0", "GOFLAGS=-mod=readonly", "GOWORK=off")
		if cfg.GoCache != "" {
			env = append(env, "GOCACHE="+cfg.GoCache)
		}
		if cgo {
			cc, cxx := "gcc", "g++"
			if arch != runtime.GOARCH {
				cc, cxx = triplet[arch]+"-gcc", triplet[arch]+"-g++"
			}
			if _, err := exec.LookPath(cc); err != nil {
				return fmt.Errorf("%s for linux/%s needs the C compiler %s (scripts/tools/install cross)", strings.Join(pkgs, " "), arch, cc)
			}
			env = append(env, "CGO_ENABLED=1", "CC="+cc, "CXX="+cxx)
		} else {
			env = append(env, "CGO_ENABLED=0")
		}
		args := append([]string{"build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", dir + "/"}, pkgs...)
		fmt.Fprintf(cfg.Log, "images: linux/%s: go %s\n", arch, strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir, cmd.Env = cfg.Source, env
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build for linux/%s: %w\n%s", arch, err, stderr.Bytes())
		}
	}
	return nil
}

// baseLayer is what every image shares, whatever its arch: the users,
// name resolution, CA certificates, and writable-when-mounted
// directories owned by the non-root user.
func baseLayer(cfg Config) (v1.Layer, error) {
	u := strconv.Itoa(UID)
	return layer([]entry{
		{path: "/etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:" + u + ":" + u + ":nonroot:/home/nonroot:/sbin/nologin\n")},
		{path: "/etc/group", mode: 0o644, data: []byte("root:x:0:\nnonroot:x:" + u + ":\n")},
		{path: "/etc/nsswitch.conf", mode: 0o644, data: []byte("hosts: files dns\n")},
		{path: CACerts, mode: 0o644, src: cfg.CACerts},
		{path: "/root", dir: true, mode: 0o700},
		{path: "/home/nonroot", dir: true, mode: 0o700, uid: UID, gid: UID},
		{path: "/tmp", dir: true, mode: 0o1777},
		{path: "/var/spool/atlhyper", dir: true, mode: 0o700, uid: UID, gid: UID},
	}, cfg.Epoch)
}

// image is one platform's image: its layers and a config that runs the
// entrypoint as 65532:65532 with the OCI labels.
func image(cfg Config, n Names, im string, spec Image, arch string, layers []v1.Layer) (v1.Image, error) {
	created := cfg.Epoch.Format(time.RFC3339)
	c := v1.Config{
		User:       fmt.Sprintf("%d:%d", UID, UID),
		Entrypoint: spec.Entrypoint,
		WorkingDir: "/",
		Env:        append([]string{"PATH=" + BinDir + ":/usr/bin:/bin", "ATLHYPER_VERSION=" + cfg.Tag}, spec.Env...),
		Labels: map[string]string{
			"org.opencontainers.image.title":    "atlhyper-" + im,
			"org.opencontainers.image.source":   n.Source,
			"org.opencontainers.image.revision": cfg.Revision,
			"org.opencontainers.image.version":  cfg.Tag,
			"org.opencontainers.image.created":  created,
		},
	}
	if len(spec.Ports) > 0 {
		c.ExposedPorts = map[string]struct{}{}
		for _, p := range spec.Ports {
			c.ExposedPorts[strconv.Itoa(p)+"/tcp"] = struct{}{}
		}
	}
	cf := &v1.ConfigFile{Architecture: arch, OS: "linux", Created: v1.Time{Time: cfg.Epoch}, Config: c,
		RootFS: v1.RootFS{Type: "layers"}}
	if arch == "arm64" {
		cf.Variant = "v8"
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		if img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{Created: v1.Time{Time: cfg.Epoch}, CreatedBy: "atlhyper infra/images"}}); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// Push pushes each result to registry (e.g. ghcr.io/atlhyper or
// 127.0.0.1:5000/atlhyper) as <registry>/<name>:<tag>, returning the
// references pushed. Credentials come from the Docker config
// (~/.docker/config.json) unless opts say otherwise.
func Push(ctx context.Context, results []Result, registry, tag string, opts ...remote.Option) ([]string, error) {
	var refs []string
	for _, r := range results {
		t := tag
		if t == "" {
			t = r.Ref[strings.LastIndex(r.Ref, ":")+1:]
		}
		ref, err := name.ParseReference(strings.TrimSuffix(registry, "/") + "/" + r.Name + ":" + t)
		if err != nil {
			return refs, fmt.Errorf("--push %s: %w", registry, err)
		}
		if err := remote.WriteIndex(ref, r.Index, append([]remote.Option{remote.WithContext(ctx)}, opts...)...); err != nil {
			return refs, fmt.Errorf("push %s: %w", ref, err)
		}
		refs = append(refs, ref.String())
	}
	return refs, nil
}

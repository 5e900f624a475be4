// Command images builds AtlHyper's container images without Docker
// (infra/images; docs/install.md, Images):
//
//	go run ./infra/images/cmd/images --out dist/images [--platforms linux/amd64,linux/arm64] [--push ghcr.io/you]
//
// Each image is written as an OCI layout, <out>/<name>, holding one index
// of every platform; --push also pushes each as <registry>/<name>:<tag>
// with the credentials of ~/.docker/config.json.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/atlhyper/atlhyper/infra/images"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	n, err := images.LoadNames()
	if err != nil {
		return err
	}
	var cfg images.Config
	var only, platforms, push string
	fs := flag.NewFlagSet("images", flag.ContinueOnError)
	fs.StringVar(&cfg.Source, "source", ".", "the repository root (holds go.mod)")
	fs.StringVar(&cfg.Web, "web", "web/dist", "the built dashboard, carried by the api image")
	fs.StringVar(&cfg.Out, "out", "dist/images", "output directory: one OCI layout per image")
	fs.StringVar(&only, "images", "", "comma-separated images to build (default: all of infra/images/images.json)")
	fs.StringVar(&platforms, "platforms", strings.Join(n.Platforms, ","), "comma-separated platforms")
	fs.StringVar(&cfg.Registry, "registry", n.Registry, "registry the layouts' references name")
	fs.StringVar(&cfg.Tag, "tag", n.Tag, "tag and version stamped into the binaries")
	fs.StringVar(&cfg.Revision, "revision", "", "source revision stamped into binaries and labels (default: git rev-parse HEAD)")
	fs.StringVar(&push, "push", "", "also push every image to this registry, e.g. ghcr.io/you or 127.0.0.1:5000/atlhyper")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if only != "" {
		cfg.Images = strings.Split(only, ",")
	}
	cfg.Platforms = strings.Split(platforms, ",")
	cfg.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := images.Build(ctx, cfg)
	if err != nil {
		return err
	}
	for _, r := range res {
		fmt.Printf("%s\t%s@%s\n", r.Layout, r.Ref, r.Digest)
	}
	if push != "" {
		refs, err := images.Push(ctx, res, push, cfg.Tag, remote.WithAuthFromKeychain(authn.DefaultKeychain))
		if err != nil {
			return err
		}
		for _, r := range refs {
			fmt.Printf("pushed\t%s\n", r)
		}
	}
	return nil
}

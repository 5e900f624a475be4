// Command bench measures the container images (scripts/bench images): it
// builds every image for every platform of infra/images/images.json from
// this checkout and the built dashboard (web/dist), and prints each
// image's size per platform: compressed (what a node pulls) and
// uncompressed (its filesystem), and the build's wall time (with the Go
// build cache as it is).
//
// Output, one figure per line (`name value unit`); progress goes to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/atlhyper/atlhyper/infra/images"
)

var web = flag.String("web", "web/dist", "the built dashboard")

func main() {
	flag.Parse()
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "images bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	out, err := os.MkdirTemp("", "atlhyper-images-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(out)
	start := time.Now()
	res, err := images.Build(ctx, images.Config{Source: ".", Web: *web, Out: out, Log: os.Stderr})
	if err != nil {
		return err
	}
	fmt.Printf("images.build_s %.0f s\n", time.Since(start).Seconds())
	for _, r := range res {
		im, err := r.Index.IndexManifest()
		if err != nil {
			return err
		}
		for _, m := range im.Manifests {
			img, err := r.Index.Image(m.Digest)
			if err != nil {
				return err
			}
			layers, err := img.Layers()
			if err != nil {
				return err
			}
			var packed, unpacked int64
			for _, l := range layers {
				s, err := l.Size()
				if err != nil {
					return err
				}
				packed += s
				rc, err := l.Uncompressed()
				if err != nil {
					return err
				}
				n, err := io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil {
					return err
				}
				unpacked += n
			}
			fmt.Printf("images.%s.%s.compressed_mib %.1f MiB\n", r.Name, m.Platform.Architecture, float64(packed)/(1<<20))
			fmt.Printf("images.%s.%s.uncompressed_mib %.1f MiB\n", r.Name, m.Platform.Architecture, float64(unpacked)/(1<<20))
		}
	}
	return nil
}

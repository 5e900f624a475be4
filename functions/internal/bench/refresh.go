package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/functions/fleetgen"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// refreshFigures measures what a browser's refresh of an unchanged
// 5,000-pod pods page costs on the wire: the dashboard fetches it in pages
// of 1,000 (the API's maximum), first with Accept-Encoding: br, gzip, then
// again sending each page's ETag in If-None-Match. Bytes are counted on
// the TCP connection (status lines, headers and bodies as sent).
//
//	api.pods_5k_refresh_kb      the unchanged refresh (5 × 304)
//	api.pods_5k_first_load_kb   the first load, compressed (for scale)
func refreshFigures(ctx context.Context, endpoint, tmp string, logf func(string, ...any)) (refreshKB, firstKB, plainKB float64, err error) {
	b, err := store.NewS3(store.S3Options{Bucket: "bench", Prefix: "refresh", Endpoint: endpoint, Insecure: true, Region: "us-east-1",
		Creds: credentials.NewStaticV4(miniotest.AccessKey, miniotest.SecretKey, "")})
	if err != nil {
		return 0, 0, 0, err
	}
	end := time.Now().UTC().Truncate(time.Second)
	spec := fleetgen.Spec{Clusters: 1, Nodes: 100, Pods: 5000, Namespaces: 20, End: end, Hours: 2, ChurnPerHour: 500, AnomaliesPerHour: 6, Seed: 3, Parallel: 2}
	if err := fleetgen.Generate(ctx, b, spec); err != nil {
		return 0, 0, 0, fmt.Errorf("generate 5,000 pods: %w", err)
	}
	a, err := app.Open(ctx, app.Config{Bucket: b, CacheDir: filepath.Join(tmp, "cache-refresh"), Threads: 2, MemoryLimit: "1GB", JWTSecret: secret,
		AdminUser: admin, AdminPassword: password, BcryptCost: 4, LoginRate: 1000, LoginBurst: 1000, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return 0, 0, 0, err
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	tok, err := login(srv.URL)
	if err != nil {
		return 0, 0, 0, err
	}
	var wire atomic.Int64
	client := &http.Client{Transport: &http.Transport{
		DisableCompression: true, // we ask for br, gzip ourselves, like a browser
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: c, read: &wire}, nil
		},
	}}
	base := srv.URL + "/api/v1/clusters/" + fleetgen.ClusterID(0) + "/pods?limit=1000&sort=namespace"
	etags := map[string]string{}
	fetchAll := func(conditional bool) (pages, notModified int, plain int64, err error) {
		cursor := ""
		for {
			u := base
			if cursor != "" {
				u += "&cursor=" + url.QueryEscape(cursor)
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Accept-Encoding", "br, gzip")
			if conditional && etags[u] != "" {
				req.Header.Set("If-None-Match", etags[u])
			}
			resp, err := client.Do(req)
			if err != nil {
				return 0, 0, 0, err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return 0, 0, 0, err
			}
			pages++
			switch resp.StatusCode {
			case http.StatusNotModified:
				notModified++
				next, ok := cursors[u]
				if !ok {
					return 0, 0, 0, fmt.Errorf("304 for a page never loaded: %s", u)
				}
				cursor = next
			case http.StatusOK:
				etags[u] = resp.Header.Get("ETag")
				var page struct {
					NextCursor string `json:"next_cursor"`
				}
				raw, err := decode(resp.Header.Get("Content-Encoding"), body)
				if err != nil {
					return 0, 0, 0, err
				}
				plain += int64(len(raw))
				if err := json.Unmarshal(raw, &page); err != nil {
					return 0, 0, 0, err
				}
				cursors[u] = page.NextCursor
				cursor = page.NextCursor
			default:
				return 0, 0, 0, fmt.Errorf("GET %s: %d", u, resp.StatusCode)
			}
			if cursor == "" {
				return pages, notModified, plain, nil
			}
		}
	}
	wire.Store(0)
	pages, _, plain, err := fetchAll(false)
	if err != nil {
		return 0, 0, 0, err
	}
	first := wire.Load()
	wire.Store(0)
	_, notModified, _, err := fetchAll(true)
	if err != nil {
		return 0, 0, 0, err
	}
	refresh := wire.Load()
	if notModified != pages {
		return 0, 0, 0, fmt.Errorf("unchanged refresh: %d of %d pages were 304", notModified, pages)
	}
	logf("pods 5k: %d pages, first load %d B on the wire (%d B of JSON), refresh %d B", pages, first, plain, refresh)
	return float64(refresh) / 1024, float64(first) / 1024, float64(plain) / 1024, nil
}

// cursors remembers each page URL's next cursor, so a 304 (no body) can
// still be followed by the next page, as the dashboard's held answers do.
var cursors = map[string]string{}

// countingConn counts the bytes a client reads off the wire.
type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func decode(encoding string, body []byte) ([]byte, error) {
	switch encoding {
	case "":
		return body, nil
	case "br":
		return io.ReadAll(brotli.NewReader(bytes.NewReader(body)))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	}
	return nil, fmt.Errorf("unexpected Content-Encoding %q", encoding)
}

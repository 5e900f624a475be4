package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/aws/aws-lambda-go/events"

	"github.com/atlhyper/atlhyper/functions/api"
	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/functions/fleetgen"
	"github.com/atlhyper/atlhyper/functions/lambdahttp"
)

// get sends a GET with explicit headers; the transport's own gzip
// handling is off (an Accept-Encoding set by hand), so what comes back is
// what travelled.
func get(t *testing.T, url string, h map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func decompress(t *testing.T, enc string, data []byte) []byte {
	t.Helper()
	var r io.Reader
	switch enc {
	case "br":
		r = brotli.NewReader(bytes.NewReader(data))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "":
		return data
	default:
		t.Fatalf("unexpected encoding %q", enc)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompressedCachedReads: answers are compressed as the client accepts
// (br, gzip or none), list and detail answers carry a weak ETag with
// Cache-Control private, no-cache and Vary: Authorization,
// Accept-Encoding, and If-None-Match of an unchanged answer is a 304
// without a body that still says how recent the data is.
func TestCompressedCachedReads(t *testing.T) {
	s := newStack(t)
	tok := s.tokens[auth.Viewer]
	c := fleetgen.ClusterID(0)
	list := s.http.URL + "/api/v1/clusters/" + c + "/pods?limit=50"
	bearer := map[string]string{"Authorization": "Bearer " + tok}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range bearer {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}

	plainResp, plain := get(t, list, bearer)
	if plainResp.StatusCode != 200 || plainResp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("identity: %d %q", plainResp.StatusCode, plainResp.Header.Get("Content-Encoding"))
	}
	for _, tc := range []struct{ accept, want string }{{"gzip, deflate, br, zstd", "br"}, {"gzip", "gzip"}, {"br;q=0, gzip", "gzip"}} {
		resp, data := get(t, list, with(map[string]string{"Accept-Encoding": tc.accept}))
		if got := resp.Header.Get("Content-Encoding"); got != tc.want {
			t.Fatalf("Accept-Encoding %q: Content-Encoding %q, want %q", tc.accept, got, tc.want)
		}
		if len(data)*3 > len(plain) {
			t.Errorf("%s: %d bytes for %d plain: not compressed well", tc.want, len(data), len(plain))
		}
		if !bytes.Equal(decompress(t, tc.want, data), plain) {
			t.Errorf("%s: decompressed body differs from the plain one", tc.want)
		}
	}

	etag := plainResp.Header.Get("ETag")
	if !strings.HasPrefix(etag, `W/"`) {
		t.Fatalf("list ETag %q", etag)
	}
	if cc := plainResp.Header.Get("Cache-Control"); cc != "private, no-cache" {
		t.Errorf("list Cache-Control %q", cc)
	}
	vary := strings.Join(plainResp.Header.Values("Vary"), ",")
	if !strings.Contains(vary, "Authorization") || !strings.Contains(vary, "Accept-Encoding") {
		t.Errorf("list Vary %q", vary)
	}
	var page struct {
		AsOf string `json:"as_of"`
	}
	if err := json.Unmarshal(plain, &page); err != nil || page.AsOf == "" || plainResp.Header.Get(api.AsOfHeader) == "" {
		t.Fatalf("as_of %q / header %q: %v", page.AsOf, plainResp.Header.Get(api.AsOfHeader), err)
	}
	resp, data := get(t, list, with(map[string]string{"If-None-Match": etag, "Accept-Encoding": "br, gzip"}))
	if resp.StatusCode != http.StatusNotModified || len(data) != 0 {
		t.Fatalf("If-None-Match of an unchanged list: %d, %d bytes", resp.StatusCode, len(data))
	}
	if resp.Header.Get(api.AsOfHeader) == "" || resp.Header.Get("ETag") != etag {
		t.Errorf("304 headers: %v", resp.Header)
	}
	resp, _ = get(t, list, with(map[string]string{"If-None-Match": `W/"0000"`}))
	if resp.StatusCode != 200 {
		t.Errorf("If-None-Match of another version: %d", resp.StatusCode)
	}
	// Another page has another ETag.
	if resp, _ := get(t, s.http.URL+"/api/v1/clusters/"+c+"/pods?limit=10", bearer); resp.Header.Get("ETag") == etag {
		t.Error("two different pages share an ETag")
	}

	// A detail answer: ETag from its body.
	var pods struct {
		Items []struct{ Namespace, Name string } `json:"items"`
	}
	json.Unmarshal(plain, &pods)
	detail := s.http.URL + "/api/v1/clusters/" + c + "/pods/" + pods.Items[0].Namespace + "/" + pods.Items[0].Name
	resp, _ = get(t, detail, bearer)
	dtag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || dtag == "" || resp.Header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("detail: %d ETag %q Cache-Control %q", resp.StatusCode, dtag, resp.Header.Get("Cache-Control"))
	}
	if resp, _ := get(t, detail, with(map[string]string{"If-None-Match": dtag})); resp.StatusCode != http.StatusNotModified {
		t.Errorf("detail If-None-Match: %d", resp.StatusCode)
	}

	// Without a token: 401, never a cached answer; admin answers stay no-store.
	if resp, _ := get(t, list, map[string]string{"If-None-Match": etag}); resp.StatusCode != 401 {
		t.Errorf("no token with If-None-Match: %d", resp.StatusCode)
	}
	if resp, _ := get(t, s.http.URL+"/api/v1/users", map[string]string{"Authorization": "Bearer " + s.tokens[auth.Admin]}); resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("ETag") != "" {
		t.Errorf("users: Cache-Control %q ETag %q", resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"))
	}

	t.Run("static files", func(t *testing.T) {
		dist := t.TempDir()
		js := strings.Repeat("export const answer = 42; // the same line again and again\n", 200)
		os.MkdirAll(filepath.Join(dist, "assets"), 0o755)
		os.WriteFile(filepath.Join(dist, "index.html"), []byte("<!doctype html><script type=module src=./assets/index-B2x9_kQa.js></script>"+strings.Repeat(" ", 600)), 0o644)
		os.WriteFile(filepath.Join(dist, "assets", "index-B2x9_kQa.js"), []byte(js), 0o644)
		os.WriteFile(filepath.Join(dist, "boot.js"), []byte(js), 0o644)
		web, err := api.WebHandler(s.app.Handler(), dist)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(web)
		defer srv.Close()
		for path, want := range map[string]string{
			"/assets/index-B2x9_kQa.js": "public, max-age=31536000, immutable",
			"/":                         "no-cache",
			"/index.html":               "no-cache",
			"/boot.js":                  "no-cache",
			"/a/client/route":           "no-cache",
		} {
			resp, data := get(t, srv.URL+path, map[string]string{"Accept-Encoding": "gzip, br"})
			if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != want {
				t.Errorf("%s: %d Cache-Control %q, want %q", path, resp.StatusCode, resp.Header.Get("Cache-Control"), want)
			}
			if resp.Header.Get("Content-Encoding") != "br" || resp.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("%s: Content-Encoding %q, CSP %q", path, resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Security-Policy"))
			}
			if strings.HasSuffix(path, ".js") && string(decompress(t, "br", data)) != js {
				t.Errorf("%s: decompressed asset differs", path)
			}
		}
	})

	t.Run("lambda", func(t *testing.T) {
		h := lambdahttp.Handler(s.app.Handler())
		ev := events.APIGatewayV2HTTPRequest{RawPath: "/api/v1/clusters/" + c + "/pods", RawQueryString: "limit=50",
			Headers:        map[string]string{"authorization": "Bearer " + tok, "accept-encoding": "gzip, br"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", SourceIP: "198.51.100.7"}}}
		out, err := h(context.Background(), ev)
		if err != nil || out.StatusCode != 200 || !out.IsBase64Encoded || out.Headers["Content-Encoding"] != "br" {
			t.Fatalf("lambda: %d base64=%v encoding %q %v", out.StatusCode, out.IsBase64Encoded, out.Headers["Content-Encoding"], err)
		}
		raw, _ := base64.StdEncoding.DecodeString(out.Body)
		if !bytes.Equal(decompress(t, "br", raw), plain) {
			t.Error("lambda: the decompressed body differs from the local server's")
		}
		ev.Headers["if-none-match"] = out.Headers["Etag"]
		if out, _ := h(context.Background(), ev); out.StatusCode != http.StatusNotModified || out.Body != "" {
			t.Errorf("lambda If-None-Match: %d %q", out.StatusCode, out.Body)
		}
	})
}

// TestLambdaResponseLimit: past API Gateway's 6 MB the client gets a
// clear 502 response_too_large, not a gateway's bare error.
func TestLambdaResponseLimit(t *testing.T) {
	big := make([]byte, 5<<20) // 5 MB of binary: 6.7 MB as base64
	for i := range big {
		big[i] = byte(i*7919 + i>>8)
	}
	h := lambdahttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Request-Id", "req-1")
		w.Write(big)
	}))
	out, err := h(context.Background(), events.APIGatewayV2HTTPRequest{RawPath: "/x"})
	if err != nil || out.StatusCode != http.StatusBadGateway || !strings.Contains(out.Body, `"response_too_large"`) || out.Headers["X-Request-Id"] != "req-1" {
		t.Fatalf("%d %.200s %v", out.StatusCode, out.Body, err)
	}
	small := lambdahttp.Response(200, http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}, []byte("{}"))
	if !small.IsBase64Encoded {
		t.Error("a body with a Content-Encoding must travel base64-encoded")
	}
}

// TestTimeTravelBeforeHistory: a moment before a cluster's history began
// says when it begins (history_starts_at), instead of looking like an
// empty cluster; a moment inside history names its checkpoint.
func TestTimeTravelBeforeHistory(t *testing.T) {
	s := newStack(t)
	tok := s.tokens[auth.Viewer]
	c := fleetgen.ClusterID(0)
	var page struct {
		Items           []json.RawMessage `json:"items"`
		Checkpoint      *time.Time        `json:"checkpoint"`
		HistoryStartsAt *time.Time        `json:"history_starts_at"`
	}
	before := s.end.Add(-40 * time.Hour) // the fleet has 30 hours of history
	if st := s.do(t, "GET", "/api/v1/clusters/"+c+"/pods?at="+before.Format(time.RFC3339), tok, nil, &page); st != 200 {
		t.Fatalf("pods at %s: %d", before, st)
	}
	first := s.end.Add(-30 * time.Hour)
	if len(page.Items) != 0 || page.Checkpoint != nil || page.HistoryStartsAt == nil ||
		page.HistoryStartsAt.Before(first.Add(-time.Hour)) || page.HistoryStartsAt.After(first.Add(time.Hour)) {
		t.Fatalf("before history: %d items, checkpoint %v, history_starts_at %v (history begins about %s)", len(page.Items), page.Checkpoint, page.HistoryStartsAt, first)
	}
	page.Checkpoint, page.HistoryStartsAt = nil, nil
	inside := s.end.Add(-3 * time.Hour)
	if st := s.do(t, "GET", "/api/v1/clusters/"+c+"/pods?at="+inside.Format(time.RFC3339), tok, nil, &page); st != 200 {
		t.Fatalf("pods at %s: %d", inside, st)
	}
	if len(page.Items) == 0 || page.Checkpoint == nil || page.HistoryStartsAt != nil {
		t.Fatalf("inside history: %d items, checkpoint %v, history_starts_at %v", len(page.Items), page.Checkpoint, page.HistoryStartsAt)
	}
}

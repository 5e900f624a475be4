package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/CAFxX/httpcompression"
	"github.com/CAFxX/httpcompression/contrib/andybalholm/brotli"
	"github.com/CAFxX/httpcompression/contrib/klauspost/gzip"
)

// Reads that cost what they should: answers are compressed (br or gzip,
// as the client accepts), and data answers carry an ETag so a refresh of
// unchanged data is a 304 without a body.

// AsOfHeader carries a list's as_of: the ETag of a list leaves as_of out
// (the data did not change, only how recent it is known to be), so a 304
// brings the new moment in this header.
const AsOfHeader = "X-AtlHyper-As-Of"

// Compress negotiates br or gzip for answers of at least minSize bytes;
// Parquet (compressed already) passes as is.
func Compress(brLevel, gzLevel, minSize int) (func(http.Handler) http.Handler, error) {
	br, err := brotli.New(brotli.Options{Quality: brLevel})
	if err != nil {
		return nil, fmt.Errorf("brotli: %w", err)
	}
	gz, err := gzip.New(gzip.Options{Level: gzLevel})
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return httpcompression.Adapter(
		httpcompression.BrotliCompressor(br),
		httpcompression.GzipCompressor(gz),
		httpcompression.MinSize(minSize),
		httpcompression.ContentTypes([]string{"application/vnd.apache.parquet", "application/octet-stream", "image/png"}, true),
		httpcompression.Prefer(httpcompression.PreferServer),
	)
}

// conditional makes a GET route's successful answers revalidatable: a
// weak ETag (the handler's, or a hash of the body), Cache-Control
// private, no-cache (a shared cache never stores one user's data; the
// browser asks again every time) and Vary: Authorization. A request whose
// If-None-Match matches gets 304 and no body.
func conditional(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := &bufferedWriter{ResponseWriter: w}
		next.ServeHTTP(bw, r)
		status := bw.status
		if status == 0 {
			status = http.StatusOK
		}
		h := w.Header()
		if status != http.StatusOK {
			w.WriteHeader(status)
			w.Write(bw.body.Bytes())
			return
		}
		etag := h.Get("ETag")
		if etag == "" {
			etag = weakETag(bw.body.Bytes())
			h.Set("ETag", etag)
		}
		h.Set("Cache-Control", "private, no-cache")
		h.Add("Vary", "Authorization")
		if etagMatch(r.Header.Get("If-None-Match"), etag) {
			h.Del("Content-Type")
			h.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.WriteHeader(status)
		w.Write(bw.body.Bytes())
	})
}

// bufferedWriter holds an answer until its ETag is known.
type bufferedWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *bufferedWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *bufferedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// weakETag names a representation by its content. Weak: the same data is
// sent gzip, br or plain, and a list's as_of may move without its data.
func weakETag(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return `W/"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
}

// etagMatch is If-None-Match's weak comparison (RFC 9110 13.1.2).
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPanicsBecome500: a handler that panics answers a JSON 500 with a
// request id, and the server keeps serving.
func TestPanicsBecome500(t *testing.T) {
	s := &Server{cfg: Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	h := s.base(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			var m map[string]int
			m["x"] = 1 // nil map write
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	for i := 0; i < 2; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/boom", nil))
		if w.Code != 500 || !strings.Contains(w.Body.String(), `"code":"internal"`) || w.Header().Get("X-Request-ID") == "" {
			t.Fatalf("panic: %d %s", w.Code, w.Body.String())
		}
		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/ok", nil))
		if w.Code != 204 {
			t.Fatalf("after panic: %d", w.Code)
		}
	}
	// The client cannot choose the request id.
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/ok", nil)
	r.Header.Set("X-Request-ID", "chosen-by-client")
	h.ServeHTTP(w, r)
	if w.Header().Get("X-Request-ID") == "chosen-by-client" {
		t.Fatal("client chose the request id")
	}
}

package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/functions/api"
	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/query/store"
)

// auditObjects counts the audit table's objects in the store.
func auditObjects(t *testing.T, b store.Bucket) int {
	t.Helper()
	infos, err := store.ListAll(context.Background(), b, "audit/")
	if err != nil {
		t.Fatal(err)
	}
	return len(infos)
}

// TestSecurityFindings covers the reviewed holes through the HTTP API.
func TestSecurityFindings(t *testing.T) {
	s := newStack(t)
	admin := s.tokens[auth.Admin]

	// All requests come from 127.0.0.1: the subtests together stay under
	// the per-IP limit (20 failures in 15 minutes).
	t.Run("a deleted and recreated user's old tokens stay dead", func(t *testing.T) {
		if st := s.do(t, "POST", "/api/v1/users", admin, map[string]string{"username": "zed", "password": userPassword, "role": "viewer"}, nil); st != 201 {
			t.Fatalf("create: %d", st)
		}
		old := s.login(t, "zed", userPassword)
		if st := s.do(t, "GET", "/api/v1/auth/me", old, nil, nil); st != 200 {
			t.Fatalf("me: %d", st)
		}
		if st := s.do(t, "DELETE", "/api/v1/users/zed", admin, nil, nil); st != 204 {
			t.Fatalf("delete: %d", st)
		}
		if st := s.do(t, "POST", "/api/v1/users", admin, map[string]string{"username": "zed", "password": userPassword, "role": "admin"}, nil); st != 201 {
			t.Fatalf("recreate: %d", st)
		}
		if st := s.do(t, "GET", "/api/v1/auth/me", old, nil, nil); st != 401 {
			t.Fatalf("the old token of a recreated user: %d, want 401", st)
		}
		if st := s.do(t, "GET", "/api/v1/users", old, nil, nil); st != 401 {
			t.Fatalf("the old token reached an admin route of the new account: %d", st)
		}
	})

	t.Run("guesses of the current password are limited", func(t *testing.T) {
		tok := s.login(t, "operator-user", userPassword)
		var last http.Header
		statuses := map[int]int{}
		for i := 0; i < 8; i++ {
			st, _, h := s.raw(t, "POST", "/api/v1/auth/password", tok, map[string]string{"current_password": fmt.Sprintf("guess-%d-password", i),
				"new_password": "Brand-New-Pass-2026!"})
			statuses[st]++
			last = h
		}
		if statuses[403] != auth.UserLimit.MaxFailures || statuses[429] != 8-auth.UserLimit.MaxFailures || last.Get("Retry-After") == "" {
			t.Fatalf("statuses %v, Retry-After %q", statuses, last.Get("Retry-After"))
		}
	})

	t.Run("refused logins are counted, and only a lockout is audited", func(t *testing.T) {
		before := auditObjects(t, s.bucket)
		statuses := map[int]int{}
		for i := 0; i < 10; i++ {
			st, _, _ := s.raw(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "viewer-user", "password": fmt.Sprintf("wrong-guess-%d", i)})
			statuses[st]++
		}
		if statuses[401] != auth.UserLimit.MaxFailures || statuses[429] != 10-auth.UserLimit.MaxFailures {
			t.Fatalf("statuses %v", statuses)
		}
		if n := auditObjects(t, s.bucket) - before; n != 1 {
			t.Fatalf("10 refused logins wrote %d audit objects, want 1 (the lockout)", n)
		}
		var p page
		s.do(t, "GET", "/api/v1/audit?action=auth.lockout", admin, nil, &p)
		var records []map[string]any
		for _, it := range p.Items {
			if it["target"] == "user/viewer-user" {
				records = append(records, it)
			}
		}
		if len(records) != 1 || !strings.Contains(fmt.Sprint(records[0]["params"]), `"failures":5`) {
			t.Fatalf("lockout records: %v", records)
		}
	})

	t.Run("security headers", func(t *testing.T) {
		_, _, h := s.raw(t, "GET", "/api/v1/health", "", nil)
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
			"X-Frame-Options": "DENY",
		} {
			if !strings.Contains(h.Get(k), want) {
				t.Errorf("API %s: %q", k, h.Get(k))
			}
		}
		dist := t.TempDir()
		os.WriteFile(filepath.Join(dist, "index.html"), []byte("<!doctype html><script src=./boot.js></script>"), 0o644)
		os.WriteFile(filepath.Join(dist, "boot.js"), []byte("//"), 0o644)
		os.WriteFile(filepath.Join(dist, "config.json"), []byte(`{"apiBase": "https://api.example.com/base"}`), 0o644)
		web, err := api.WebHandler(s.app.Handler(), dist)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(web)
		defer srv.Close()
		for _, path := range []string{"/", "/boot.js", "/some/client/route", "/api/v1/health"} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			csp := resp.Header.Get("Content-Security-Policy")
			if resp.StatusCode != 200 || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-eval") ||
				strings.Contains(csp, "script-src 'self' 'unsafe") || strings.Contains(csp, "style-src 'self' 'unsafe") ||
				resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("%s: %d, CSP %q", path, resp.StatusCode, csp)
			}
			if path != "/api/v1/health" && (!strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "connect-src 'self' https://api.example.com;")) {
				t.Errorf("%s: dashboard CSP %q", path, csp)
			}
		}
		os.WriteFile(filepath.Join(dist, "config.json"), []byte(`{"apiBase": "javascript:alert(1)"}`), 0o644)
		if _, err := api.WebHandler(s.app.Handler(), dist); err == nil {
			t.Error("a config.json with a non-http apiBase was accepted")
		}
	})
}

// TestPerUserRateLimit: each user has a token bucket on the instance; past
// it 429 with Retry-After, and other users are not affected.
func TestPerUserRateLimit(t *testing.T) {
	s := newStack(t)
	a, err := app.Open(context.Background(), app.Config{Bucket: s.bucket, CacheDir: t.TempDir(), Threads: 2, MemoryLimit: "256MB",
		JWTSecret: testSecret, BcryptCost: 4, LoginRate: 1000, LoginBurst: 1000, Logger: quiet, UserRate: 1, UserBurst: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	get := func(tok, path string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	v, o := s.tokens[auth.Viewer], s.tokens[auth.Operator]
	start := time.Now()
	ok, limited := 0, 0
	var retry string
	for i := 0; i < 20; i++ {
		resp := get(v, "/api/v1/clusters")
		switch resp.StatusCode {
		case 200:
			ok++
		case 429:
			limited++
			retry = resp.Header.Get("Retry-After")
		}
	}
	// 10 from the burst, plus at most one per second that passed.
	if maxOK := 10 + int(time.Since(start).Seconds()) + 1; ok > maxOK || limited == 0 || retry == "" {
		t.Fatalf("%d answered, %d limited (Retry-After %q)", ok, limited, retry)
	}
	if resp := get(o, "/api/v1/clusters"); resp.StatusCode != 200 {
		t.Fatalf("another user: %d", resp.StatusCode)
	}
}

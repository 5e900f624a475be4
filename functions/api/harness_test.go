package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/functions/fleetgen"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

const (
	testSecret = "test-secret-7f3a9c2e41b8d6f0a5c3e9b1d7f2a4c6e8b0d2f4"
	adminUser  = "admin"
	adminPass  = "Adm1n-pass-for-tests!"
	// testSignKey is the tests' command signing key (a fixed seed).
	testSignKey  = "test1=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	userPassword = "viewer-Pass-2026!"
)

// stack is the API on a real MinIO with a small generated fleet.
type stack struct {
	t      testing.TB
	srv    *miniotest.Server
	bucket store.Bucket
	app    *app.App
	http   *httptest.Server
	end    time.Time
	tokens map[auth.Role]string
	// signKey signs remote operations ("kid=base64 seed").
	signKey string
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func testSpec(end time.Time) fleetgen.Spec {
	return fleetgen.Spec{Clusters: 2, Nodes: 4, Pods: 60, Namespaces: 3, End: end, Hours: 30, ChurnPerHour: 20, AnomaliesPerHour: 2,
		MetricHours: 2, MetricEvery: time.Minute, DetailHours: 26, Seed: 7}
}

var (
	sharedOnce  sync.Once
	sharedStack *stack
)

// newStack starts MinIO, writes the fleet, opens the API and logs in one
// user per role.
func newStack(t testing.TB) *stack {
	t.Helper()
	srv := miniotest.Start(t)
	b := srv.NewBucket(t)
	end := time.Now().UTC().Truncate(time.Second)
	if err := fleetgen.Generate(context.Background(), b, testSpec(end)); err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, srv: srv, bucket: b, end: end, tokens: map[auth.Role]string{}, signKey: testSignKey}
	s.open(t)
	for _, r := range []auth.Role{auth.Viewer, auth.Operator} {
		if _, err := s.app.Auth.CreateUser(context.Background(), string(r)+"-user", userPassword, r, "test"); err != nil {
			t.Fatal(err)
		}
		s.tokens[r] = s.login(t, string(r)+"-user", userPassword)
	}
	s.tokens[auth.Admin] = s.login(t, adminUser, adminPass)
	return s
}

func (s *stack) open(t testing.TB) {
	a, err := app.Open(context.Background(), app.Config{Bucket: s.bucket, CacheDir: t.TempDir(), Threads: 2, MemoryLimit: "512MB",
		JWTSecret: testSecret, AdminUser: adminUser, AdminPassword: adminPass, BcryptCost: 4, LoginRate: 1000, LoginBurst: 1000, Logger: quiet, SQLTimeout: 5 * time.Second,
		CORSOrigins: []string{"https://dash.example"}, CommandSigningKey: s.signKey})
	if err != nil {
		t.Fatal(err)
	}
	s.app = a
	s.http = httptest.NewServer(a.Handler())
	t.Cleanup(func() { s.http.Close(); a.Close() })
}

func (s *stack) login(t testing.TB, user, pass string) string {
	t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	st := s.do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": pass}, &tok)
	if st != 200 {
		t.Fatalf("login %s: %d", user, st)
	}
	return tok.AccessToken
}

// do sends a request and decodes a JSON answer into out (if non-nil).
func (s *stack) do(t testing.TB, method, path, token string, body any, out any) int {
	t.Helper()
	st, data, _ := s.raw(t, method, path, token, body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d: decode %v: %.300s", method, path, st, err, data)
		}
	}
	return st
}

func (s *stack) raw(t testing.TB, method, path, token string, body any) (int, []byte, http.Header) {
	t.Helper()
	return s.rawHeader(t, method, path, token, body, nil)
}

// rawHeader is raw with extra request headers.
func (s *stack) rawHeader(t testing.TB, method, path, token string, body any, hdr map[string]string) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.http.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/functions/fleetgen"
	"github.com/atlhyper/atlhyper/query/store/miniotest"

	"github.com/atlhyper/atlhyper/internal/toolbin"
)

const (
	secret = "rie-test-secret-8c2f6a0e4b9d3f7a1c5e9b2d6f0a4c8e"
	admin  = "admin"
	pass   = "Rie-test-pass-2026!"
)

func rieBinary(t *testing.T) string {
	p := toolbin.Path("ATLHYPER_RIE", "aws-lambda-rie")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("Lambda runtime interface emulator %s not found (%v): run scripts/tools/install rie", p, err)
	}
	return p
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestBootstrapInRIE builds the Lambda bootstrap, runs it under the AWS
// Lambda Runtime Interface Emulator against a real MinIO, sends API
// Gateway HTTP API (v2) events, and checks that it answers like the local
// server does.
func TestBootstrapInRIE(t *testing.T) {
	rie := rieBinary(t)
	dir := t.TempDir()
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrap, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, out)
	}

	srv := miniotest.Start(t)
	bucket := srv.CreateBucket(t)
	storeURL := srv.URL(bucket, "lake")
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cfg := app.Config{StoreURL: storeURL, CacheDir: filepath.Join(dir, "local-cache"), JWTSecret: secret, AdminUser: admin, AdminPassword: pass,
		BcryptCost: 4, Threads: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	local, err := app.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if err := fleetgen.Generate(context.Background(), local.Bucket, fleetgen.Spec{Clusters: 2, Nodes: 3, Pods: 20, Namespaces: 2,
		End: time.Now().UTC().Truncate(time.Second), Hours: 3, ChurnPerHour: 5, AnomaliesPerHour: 1, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	localHTTP := httptest.NewServer(local.Handler())
	defer localHTTP.Close()

	rieAddr, runtimeAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", rieAddr, "--runtime-api-address", runtimeAddr, "--log-level", "error", bootstrap)
	cmd.Env = append(os.Environ(), "ATLHYPER_STORE="+storeURL, "ATLHYPER_JWT_SECRET="+secret, "ATLHYPER_ADMIN_USER="+admin,
		"ATLHYPER_ADMIN_PASSWORD="+pass, "ATLHYPER_BCRYPT_COST=4", "ATLHYPER_CACHE_DIR="+filepath.Join(dir, "lambda-cache"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })

	invoke := func(method, path, query, token, body string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: path, RawQueryString: query,
			Headers: map[string]string{"user-agent": "rie-test", "content-type": "application/json"}, Body: body,
			RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: "api.example", Stage: "$default",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "198.51.100.7", Protocol: "HTTP/1.1"}}}
		if token != "" {
			ev.Headers["authorization"] = "Bearer " + token
		}
		data, _ := json.Marshal(ev)
		var resp *http.Response
		deadline := time.Now().Add(60 * time.Second)
		for {
			resp, err = http.Post("http://"+rieAddr+"/2015-03-31/functions/function/invocations", "application/json", bytes.NewReader(data))
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("RIE not answering: %v\n%s", err, logs.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(raw, &out); err != nil || out.StatusCode == 0 {
			t.Fatalf("invoke %s: %d %s\n%s", path, resp.StatusCode, raw, logs.String())
		}
		return out
	}
	localDo := func(method, path, query, token, body string) (int, string) {
		req, _ := http.NewRequest(method, localHTTP.URL+path+"?"+query, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}

	h := invoke("GET", "/api/v1/health", "", "", "")
	if h.StatusCode != 200 || !strings.Contains(h.Body, `"status":"ok"`) || h.Headers["X-Content-Type-Options"] != "nosniff" {
		t.Fatalf("health via RIE: %+v", h)
	}
	login := invoke("POST", "/api/v1/auth/login", "", "", fmt.Sprintf(`{"username":%q,"password":%q}`, admin, pass))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if login.StatusCode != 200 || json.Unmarshal([]byte(login.Body), &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("login via RIE: %+v", login)
	}
	// A token from the Lambda works on the local server and vice versa:
	// same store, same secret, no instance state.
	for _, c := range []struct{ method, path, query, body string }{
		{"GET", "/api/v1/clusters", "", ""},
		{"GET", "/api/v1/clusters/cluster-01/pods", "limit=5&sort=name", ""},
		{"GET", "/api/v1/clusters/cluster-00/anomalies/trend", "from=-6h", ""},
		{"GET", "/api/v1/clusters/nope/pods", "", ""},
		{"GET", "/api/v1/clusters/cluster-00/pods", "limit=0", ""},
		{"POST", "/api/v1/sql", "", `{"sql":"SELECT cluster, count(*) AS n FROM pods GROUP BY cluster ORDER BY cluster"}`},
		{"GET", "/api/v1/users", "", ""},
	} {
		lam := invoke(c.method, c.path, c.query, tok.AccessToken, c.body)
		st, body := localDo(c.method, c.path, c.query, tok.AccessToken, c.body)
		if lam.StatusCode != st {
			t.Errorf("%s %s: lambda %d, local %d: %s", c.method, c.path, lam.StatusCode, st, lam.Body)
			continue
		}
		if a, b := normalize(t, lam.Body), normalize(t, body); a != b {
			t.Errorf("%s %s?%s differs:\nlambda %s\nlocal  %s", c.method, c.path, c.query, a, b)
		}
	}
	// Unauthenticated through the Lambda too.
	if r := invoke("GET", "/api/v1/fleet/overview", "", "", ""); r.StatusCode != 401 {
		t.Fatalf("no token via RIE: %d", r.StatusCode)
	}
	// Binary bodies travel base64-encoded.
	pq := invoke("POST", "/api/v1/sql", "", tok.AccessToken, `{"sql":"SELECT name FROM pods LIMIT 3","format":"parquet"}`)
	if pq.StatusCode != 200 || !pq.IsBase64Encoded {
		t.Fatalf("parquet via RIE: %d base64=%v", pq.StatusCode, pq.IsBase64Encoded)
	}
}

// normalize drops the fields that differ between any two answers
// (request ids, clock readings, timings).
func normalize(t *testing.T, body string) string {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return body
	}
	var strip func(any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range []string{"request_id", "as_of", "heartbeat_age_seconds", "elapsed_ms", "generated_at", "time", "from", "to"} {
				delete(x, k)
			}
			for k, c := range x {
				x[k] = strip(c)
			}
		case []any:
			for i := range x {
				x[i] = strip(x[i])
			}
		}
		return v
	}
	out, _ := json.Marshal(strip(v))
	return string(out)
}

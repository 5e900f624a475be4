package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/functions/auth"
)

// tamper rewrites the token's payload to claim admin, keeping the
// original signature.
func tamper(t *testing.T, tok string) string {
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	claims["role"] = "admin"
	claims["sub"] = adminUser
	data, _ := json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(data)
	return strings.Join(parts, ".")
}

// expiredToken logs in through a service whose clock is 20 minutes behind:
// its access token expired 5 minutes ago.
func expiredToken(t *testing.T, s *stack) string {
	old, err := auth.New(auth.Config{Bucket: s.bucket, Secret: testSecret, BcryptCost: 4, Logger: quiet,
		Now: func() time.Time { return time.Now().Add(-20 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := old.Login(context.Background(), "viewer-user", userPassword, "192.0.2.77", "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok.Access
}

// TestAuthorizationMatrix sends every route with no token, an expired
// token, a tampered token, and a viewer's, an operator's and an admin's
// token, and checks the status of each.
func TestAuthorizationMatrix(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	var pods page
	s.do(t, "GET", "/api/v1/clusters/cluster-00/pods?namespace=team-00&limit=1", s.tokens[auth.Viewer], nil, &pods)
	pod := pods.Items[0]["name"].(string)
	var anoms page
	s.do(t, "GET", "/api/v1/clusters/cluster-00/anomalies?limit=1", s.tokens[auth.Viewer], nil, &anoms)
	fp := anoms.Items[0]["fingerprint"].(string)
	var events page
	s.do(t, "GET", "/api/v1/clusters/cluster-00/events?limit=1", s.tokens[auth.Viewer], nil, &events)

	// Commands for the operations routes: one pending, one ended with
	// output (asked for by the operator: the viewer may not read it).
	pendingID := s.submit(t, auth.Operator, logsBody("web-1")).ID
	outputID := s.submit(t, auth.Operator, logsBody("web-2")).ID
	s.finish(t, outputID, "log line\n")

	variants := []string{"none", "expired", "tampered", "viewer", "operator", "admin"}
	tokens := map[string]string{
		"none": "", "expired": expiredToken(t, s), "tampered": tamper(t, s.tokens[auth.Viewer]),
		"viewer": s.tokens[auth.Viewer], "operator": s.tokens[auth.Operator], "admin": s.tokens[auth.Admin],
	}
	roleOf := map[string]auth.Role{"viewer": auth.Viewer, "operator": auth.Operator, "admin": auth.Admin}
	// Names that exist in the generated fleet, per kind.
	existing := map[string]string{"pods": pod, "nodes": "node-001", "namespaces": "team-00", "deployments": "app-00",
		"services": "web", "configmaps": "settings", "secrets": "credentials"}
	seq := 0
	checked := 0
	for _, rt := range s.app.Server.Routes() {
		for _, variant := range variants {
			seq++
			path := rt.Pattern
			path = strings.ReplaceAll(path, "{cluster}", "cluster-00")
			path = strings.ReplaceAll(path, "{fingerprint}", fp)
			want := 200
			var body any
			token := tokens[variant]
			kind := strings.Split(strings.TrimPrefix(rt.Pattern, "/api/v1/clusters/{cluster}/"), "/")[0]
			switch {
			case strings.HasSuffix(rt.Pattern, "/events/{namespace}/{name}"):
				path = strings.NewReplacer("{namespace}", events.Items[0]["namespace"].(string), "{name}", events.Items[0]["name"].(string)).Replace(path)
			case strings.Contains(rt.Pattern, "/nodes/{name}/metrics"):
				path = strings.ReplaceAll(path, "{name}", "node-001")
				if strings.HasSuffix(path, "/history") {
					path += "?metric=cpu.user_pct"
				}
			case strings.Contains(rt.Pattern, "{name}"):
				name, ok := existing[kind]
				if !ok {
					name, want = "absent", 404 // no objects of this kind in the fleet
				}
				path = strings.NewReplacer("{namespace}", "team-00", "{name}", name).Replace(path)
			}
			role := roleOf[variant]
			switch rt.Method + " " + rt.Pattern {
			case "POST /api/v1/auth/login":
				body = map[string]string{"username": "viewer-user", "password": userPassword}
			case "POST /api/v1/auth/refresh":
				var tr struct {
					RefreshToken string `json:"refresh_token"`
				}
				s.do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "viewer-user", "password": userPassword}, &tr)
				body = map[string]string{"refresh_token": tr.RefreshToken}
			case "POST /api/v1/auth/logout":
				want = 204
				if role == auth.Admin { // a session of its own, so the shared tokens survive
					token = s.login(t, adminUser, adminPass)
				} else if role != "" {
					token = s.login(t, string(role)+"-user", userPassword)
				}
			case "POST /api/v1/auth/password":
				want = 204
				if role != "" { // a user of its own: a password change ends all their sessions
					u := fmt.Sprintf("pw-%d", seq)
					if _, err := s.app.Auth.CreateUser(ctx, u, userPassword, role, "test"); err != nil {
						t.Fatal(err)
					}
					token = s.login(t, u, userPassword)
				}
				body = map[string]string{"current_password": userPassword, "new_password": "Another-pass-2026!"}
			case "POST /api/v1/users":
				want = 201
				body = map[string]string{"username": fmt.Sprintf("new-%d", seq), "password": userPassword, "role": "viewer"}
			case "GET /api/v1/users/{username}":
				path = strings.ReplaceAll(path, "{username}", "viewer-user")
			case "PATCH /api/v1/users/{username}":
				u := fmt.Sprintf("patch-%d", seq)
				s.app.Auth.CreateUser(ctx, u, userPassword, auth.Viewer, "test")
				path = strings.ReplaceAll(path, "{username}", u)
				body = map[string]any{"role": "operator"}
			case "DELETE /api/v1/users/{username}":
				want = 204
				u := fmt.Sprintf("victim-%d", seq)
				s.app.Auth.CreateUser(ctx, u, userPassword, auth.Viewer, "test")
				path = strings.ReplaceAll(path, "{username}", u)
			case "GET /api/v1/clusters/{cluster}/timetravel/diff":
				path += "?from=-2h&kind=pods"
			case "GET /api/v1/clusters/{cluster}/timetravel/timeline":
				path += "?kind=pods&namespace=team-00&name=" + pod
			case "POST /api/v1/sql":
				body = map[string]any{"sql": "SELECT count(*) FROM pods"}
			case "POST /api/v1/clusters/{cluster}/commands":
				want, body = 201, logsBody("web-9")
			case "POST /api/v1/clusters/{cluster}/commands/parse":
				body = map[string]string{"line": "cordon node-001"}
			case "GET /api/v1/clusters/{cluster}/commands/{id}":
				path = strings.ReplaceAll(path, "{id}", pendingID)
			case "GET /api/v1/clusters/{cluster}/commands/{id}/output":
				path = strings.ReplaceAll(path, "{id}", outputID)
				if role == auth.Viewer {
					want = 403 // neither an operator nor the requester
				}
			case "POST /api/v1/clusters/{cluster}/commands/{id}/cancel", "POST /api/v1/clusters/{cluster}/commands/{id}/stop":
				path = strings.ReplaceAll(path, "{id}", s.submit(t, auth.Operator, logsBody("web-8")).ID)
			}
			if rt.Role != "" {
				switch {
				case variant == "none" || variant == "expired" || variant == "tampered":
					want = 401
				case !role.Allows(rt.Role):
					want = 403
				}
			}
			st, data, _ := s.raw(t, rt.Method, path, token, body)
			if st != want {
				t.Errorf("%s %s as %s: %d, want %d: %.200s", rt.Method, path, variant, st, want, data)
			}
			if variant == "expired" && rt.Role != "" && !strings.Contains(string(data), "token_expired") {
				t.Errorf("%s %s expired: %s", rt.Method, path, data)
			}
			checked++
		}
	}
	if n := len(s.app.Server.Routes()); checked != n*len(variants) || n < 70 {
		t.Fatalf("checked %d cases over %d routes", checked, n)
	}
}

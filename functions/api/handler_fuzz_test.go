package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHandlers sends arbitrary query strings and bodies to every route of
// an API over an empty store: never a panic, never a 5xx, always a JSON
// error body when the status is an error.
func FuzzHandlers(f *testing.F) {
	for _, s := range []string{"", "limit=0", "at=-2h", "from=x", "cursor=%ff", "label=a%20in", "metric=cpu&range=30d&step=1s",
		"kind=pods&name=x&namespace=y", "sort=-restarts&q=%00"} {
		f.Add(uint8(0), s, `{"sql":"SELECT 1"}`)
		f.Add(uint8(7), s, `{"username":"a","password":"b"}`)
	}
	f.Add(uint8(3), "", `{"sql":"SELECT * FROM read_csv('/etc/passwd')","format":"parquet"}`)
	f.Add(uint8(9), "", `[1,2,3]`)
	f.Add(uint8(11), "", `{"role":"god"}`)
	srv := newRouterOnly(f)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, jsonReq("POST", "/api/v1/auth/login", "", `{"username":"admin","password":"`+adminPass+`"}`))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(rec.Body.Bytes(), &tok)
	if tok.AccessToken == "" {
		f.Fatalf("login: %d %s", rec.Code, rec.Body.String())
	}
	routes := srv.Routes()
	f.Fuzz(func(t *testing.T, i uint8, query, body string) {
		rt := routes[int(i)%len(routes)]
		path := strings.NewReplacer("{cluster}", "c1", "{namespace}", "ns", "{name}", "n", "{username}", "someone", "{fingerprint}", "fp").Replace(rt.Pattern)
		r := jsonReq(rt.Method, path+"?"+query, tok.AccessToken, body)
		if r == nil {
			return
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code >= 500 && w.Code != 503 {
			t.Fatalf("%s %s?%q body %q: %d %s", rt.Method, path, query, body, w.Code, w.Body.String())
		}
		if w.Code >= 400 && !strings.Contains(w.Body.String(), `"error"`) {
			t.Fatalf("%s %s: %d without an error body: %s", rt.Method, path, w.Code, w.Body.String())
		}
	})
}

func jsonReq(method, target, token, body string) *http.Request {
	defer func() { recover() }() // an unparsable target is not a request
	var r *http.Request
	if method == "GET" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

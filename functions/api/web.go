package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// The dashboard keeps its tokens in localStorage, so a script injected
// into it could take them: its Content-Security-Policy allows scripts and
// everything else only from its own origin (boot.js is a file for this
// reason; inline <style> elements are the one exception, see
// DashboardCSP), connections only to itself and to the API named in its
// config.json, and no framing. The API's own answers carry a policy that
// allows nothing at all (see base).

// DashboardCSP is the dashboard's policy; connect is added to connect-src.
func DashboardCSP(connect ...string) string {
	src := "'self'"
	for _, c := range connect {
		src += " " + c
	}
	// style-src-elem allows inline <style> elements: the SQL editor
	// (CodeMirror, through style-mod) writes its theme into one, and a
	// static host cannot give it a nonce. Style attributes, scripts and all
	// else stay same-origin only.
	return "default-src 'none'; script-src 'self'; style-src 'self'; style-src-elem 'self' 'unsafe-inline'; style-src-attr 'none'; " +
		"img-src 'self' data:; font-src 'self'; connect-src " + src +
		"; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
}

// securityHeaders sets the headers every answer (API or dashboard) carries.
func securityHeaders(h http.Header, csp string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	h.Set("Strict-Transport-Security", "max-age=31536000")
}

// WebHandler serves the static dashboard in dir for every path outside
// /api/ (client-side routes fall back to index.html) and hands /api/ to
// api. Every answer carries the dashboard's security headers.
func WebHandler(api http.Handler, dir string) (http.Handler, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		return nil, fmt.Errorf("--web %s: no index.html (build the web first)", dir)
	}
	var connect []string
	if origin, err := configAPIOrigin(filepath.Join(dir, "config.json")); err != nil {
		return nil, err
	} else if origin != "" {
		connect = append(connect, origin)
	}
	csp := DashboardCSP(connect...)
	// Static files are compressed harder than API answers: the same bytes
	// go to every visitor, and hashed ones only once each.
	compress, err := Compress(9, 9, 512)
	if err != nil {
		return nil, err
	}
	files := http.FileServer(http.Dir(dir))
	static := compress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header(), csp)
		clean := filepath.Clean("/" + r.URL.Path)
		p := filepath.Join(dir, filepath.FromSlash(clean))
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFile(w, r, filepath.Join(dir, "index.html"))
			return
		}
		w.Header().Set("Cache-Control", staticCacheControl(clean))
		files.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			api.ServeHTTP(w, r)
			return
		}
		static.ServeHTTP(w, r)
	}), nil
}

// hashedAsset matches the build's content-hashed files (assets/name-HASH.ext).
var hashedAsset = regexp.MustCompile(`^/assets/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$`)

// staticCacheControl: a hashed file never changes under its name, so it
// is cached for a year; everything else (index.html, config.json,
// boot.js) is revalidated on every load, so a new build or config is seen
// at once.
func staticCacheControl(path string) string {
	if hashedAsset.MatchString(path) {
		return "public, max-age=31536000, immutable"
	}
	return "no-cache"
}

// configAPIOrigin reads the API's origin from the dashboard's config.json
// ("" when the API is on the same origin).
func configAPIOrigin(path string) (string, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var cfg struct {
		APIBase string `json:"apiBase"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if cfg.APIBase == "" {
		return "", nil
	}
	u, err := url.Parse(cfg.APIBase)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%s: apiBase %q is not an http(s) URL", path, cfg.APIBase)
	}
	return u.Scheme + "://" + u.Host, nil
}

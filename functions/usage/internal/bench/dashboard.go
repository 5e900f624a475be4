package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// dashboard is one browser tab showing one cluster, refreshing every 30 s
// as the web's default does: the cluster page's requests (the cluster list
// of the sidebar, the overview, the nodes' latest metrics), with the
// access token refreshed a minute before it expires, as the web's session
// does, and renewing the cluster's watch lease as the web does while the
// page is visible. What a watched cluster costs beyond an unwatched one is
// what this asks of the API and what the watch makes the agent write (its
// tail) and read (faster control polls).
type dashboard struct {
	base    string // http://host:port/api/v1
	cluster string
	now     func() time.Time
	client  *http.Client

	access, refreshToken string
	expires              time.Time
	nextWatch            time.Time
	requests             int // HTTP requests sent
}

const earlyRefresh = time.Minute // web/src/lib/auth/session.ts EARLY_MS

func (d *dashboard) login(user, password string) error {
	return d.token("/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, user, password))
}

func (d *dashboard) token(path, body string) error {
	resp, err := d.client.Post(d.base+path, "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	d.requests++
	var t struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || resp.StatusCode != 200 || t.AccessToken == "" {
		return fmt.Errorf("%s: %d %v", path, resp.StatusCode, err)
	}
	d.access, d.refreshToken = t.AccessToken, t.RefreshToken
	d.expires = d.now().Add(time.Duration(t.ExpiresIn) * time.Second)
	return nil
}

// refresh is one round of the page's periodic refetch.
func (d *dashboard) refresh() error {
	if d.expires.Sub(d.now()) <= earlyRefresh {
		if err := d.token("/auth/refresh", fmt.Sprintf(`{"refresh_token":%q}`, d.refreshToken)); err != nil {
			return err
		}
	}
	if !d.now().Before(d.nextWatch) {
		renew, err := d.watch()
		if err != nil {
			return err
		}
		d.nextWatch = d.now().Add(renew)
	}
	for _, path := range []string{"/clusters", "/clusters/" + d.cluster + "/overview", "/clusters/" + d.cluster + "/node-metrics",
		"/clusters/" + d.cluster + "/pods?limit=100"} {
		if err := d.get(path); err != nil {
			return err
		}
	}
	return nil
}

func (d *dashboard) get(path string) error {
	req, err := http.NewRequest("GET", d.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+d.access)
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	d.requests++
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
	}
	return nil
}

// watch renews the cluster's watch lease; it returns when to renew again.
func (d *dashboard) watch() (time.Duration, error) {
	req, err := http.NewRequest("POST", d.base+"/clusters/"+d.cluster+"/watch", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+d.access)
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	d.requests++
	var w struct {
		RenewAfterSeconds int `json:"renew_after_seconds"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil || resp.StatusCode != 200 || w.RenewAfterSeconds <= 0 {
		return 0, fmt.Errorf("POST watch: %d %v", resp.StatusCode, err)
	}
	return time.Duration(w.RenewAfterSeconds) * time.Second, nil
}

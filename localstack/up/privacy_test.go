package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPrivateFiles: the data folder and its subfolders are 0700 and the
// secrets file 0600, also when an older run left them open.
func TestPrivateFiles(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(filepath.Join(data, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(data, "secrets.env"), []byte("ATLHYPER_ADMIN_USER=admin\nATLHYPER_ADMIN_PASSWORD=kept-password-1\n"), 0o644)
	if err := privateDirs(data, "bin", "logs", "cache"); err != nil {
		t.Fatal(err)
	}
	s, err := loadSecrets(filepath.Join(data, "secrets.env"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.commandPublicKey(); err != nil {
		t.Fatalf("command signing key: %v", err)
	}
	if s.adminPassword != "kept-password-1" || s.jwtSecret == "" || s.ingestSecret == "" {
		t.Fatalf("secrets %+v: the kept password must stay, the missing ones be made", s)
	}
	for _, p := range []string{"", "bin", "logs", "cache"} {
		if fi, err := os.Stat(filepath.Join(data, p)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v", p, fi.Mode(), err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(data, "secrets.env")); fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets.env: %v", fi.Mode())
	}
	again, _ := loadSecrets(filepath.Join(data, "secrets.env"))
	if again != s {
		t.Fatalf("second load: %+v, want %+v", again, s)
	}
}

// TestChildEnvironments: no secret is inherited; the store's credentials
// reach the processes that use the store only.
func TestChildEnvironments(t *testing.T) {
	env := []string{"PATH=/bin", "HOME=/root", "ATLHYPER_JWT_SECRET=j", "ATLHYPER_ADMIN_PASSWORD=p", "COLLECTOR_TOKEN=t",
		"ATLHYPER_INGEST_SECRET=i", "ATLHYPER_COMMAND_SIGNING_KEY=c", "AWS_SECRET_ACCESS_KEY=k", "AWS_ACCESS_KEY_ID=a", "AWS_REGION=us-east-1", "ATLHYPER_E2E_MARKER=m"}
	base := withoutSecrets(env)
	if !slices.Equal(base, []string{"PATH=/bin", "HOME=/root", "AWS_REGION=us-east-1", "ATLHYPER_E2E_MARKER=m"}) {
		t.Fatalf("base %v", base)
	}
	if got := storeCredentials(env); !slices.Equal(got, []string{"AWS_SECRET_ACCESS_KEY=k", "AWS_ACCESS_KEY_ID=a"}) {
		t.Fatalf("store credentials %v", got)
	}
	for _, kv := range base {
		if strings.Contains(kv, "SECRET") || strings.Contains(kv, "PASSWORD") || strings.Contains(kv, "TOKEN") {
			t.Fatalf("%s inherited", kv)
		}
	}
}

package app_test

import (
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/internal/cli"
	"github.com/atlhyper/atlhyper/query/store"
)

// TestRefusesWeakConfig: the API does not start with an empty, short or
// well-known secret or admin password, nor with no admin at all.
func TestRefusesWeakConfig(t *testing.T) {
	b, _ := store.NewFile(t.TempDir())
	good := "app-test-secret-1f3e5d7c9b2a4f6e8d0c2b4a6f8e0d2c"
	for _, c := range []struct {
		name string
		cfg  app.Config
		want string
	}{
		{"empty secret", app.Config{AdminUser: "admin", AdminPassword: "Valid-pass-2026!#"}, "empty"},
		{"short secret", app.Config{JWTSecret: "short-secret", AdminUser: "admin", AdminPassword: "Valid-pass-2026!#"}, "at least"},
		{"known secret", app.Config{JWTSecret: "your-256-bit-secret", AdminUser: "admin", AdminPassword: "Valid-pass-2026!#"}, "ATLHYPER_JWT_SECRET"},
		{"weak password", app.Config{JWTSecret: good, AdminUser: "admin", AdminPassword: "changeme"}, "ATLHYPER_ADMIN_PASSWORD"},
		{"well-known password", app.Config{JWTSecret: good, AdminUser: "admin", AdminPassword: "password123456"}, "ATLHYPER_ADMIN_PASSWORD"},
		{"user without password", app.Config{JWTSecret: good, AdminUser: "admin"}, "both"},
		{"no user anywhere", app.Config{JWTSecret: good}, "no user in the store"},
	} {
		c.cfg.Bucket, c.cfg.CacheDir = b, t.TempDir()
		a, err := app.Open(context.Background(), c.cfg)
		if err == nil {
			a.Close()
			t.Errorf("%s: started", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	a, err := app.Open(context.Background(), app.Config{Bucket: b, CacheDir: t.TempDir(), JWTSecret: good, AdminUser: "admin", AdminPassword: "Valid-pass-2026!#", BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	// Once an admin exists the credentials may leave the environment.
	a, err = app.Open(context.Background(), app.Config{Bucket: b, CacheDir: t.TempDir(), JWTSecret: good})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
}

// TestSettingsFromEnvironment: the Lambda's settings come from the same
// flags as the local server's, through the environment, strictly.
func TestSettingsFromEnvironment(t *testing.T) {
	t.Setenv("ATLHYPER_STORE", "file:///lake")
	t.Setenv("ATLHYPER_CORS_ORIGINS", "https://a.example, https://b.example")
	t.Setenv("ATLHYPER_CACHE_BYTES", "1048576")
	t.Setenv("ATLHYPER_TRUST_PROXY", "true")
	t.Setenv("ATLHYPER_JWT_SECRET", "from-the-environment")
	cfg := app.FromEnv()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg.Flags(fs)
	if err := cli.Parse(fs, []string{"--cors-origins=https://c.example"}); err != nil {
		t.Fatal(err)
	}
	if cfg.StoreURL != "file:///lake" || cfg.CacheBytes != 1<<20 || !cfg.TrustProxy || cfg.JWTSecret != "from-the-environment" ||
		len(cfg.CORSOrigins) != 1 || cfg.CORSOrigins[0] != "https://c.example" {
		t.Errorf("config %+v", cfg)
	}
	for name, bad := range map[string]string{"ATLHYPER_TRUST_PROXY": "maybe", "ATLHYPER_CACHE_BYTES": "1GB", "ATLHYPER_BCRYPT_COST": "high"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, bad)
			cfg := app.FromEnv()
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			cfg.Flags(fs)
			if err := cli.Parse(fs, nil); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: %v", name, bad, err)
			}
		})
	}
}

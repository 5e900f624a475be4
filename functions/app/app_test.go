package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/atlhyper/atlhyper/functions/app"
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

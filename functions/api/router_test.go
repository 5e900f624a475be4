package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/functions/api"
	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/query/store"
)

// newRouterOnly builds the API on an empty file store (no MinIO needed)
// for tests that only look at routes.
func newRouterOnly(t testing.TB) *api.Server {
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), app.Config{Bucket: b, CacheDir: t.TempDir(), Threads: 1, JWTSecret: testSecret,
		AdminUser: adminUser, AdminPassword: adminPass, BcryptCost: 4, LoginRate: 1000, LoginBurst: 1000, Logger: quiet, SQLTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a.Server
}

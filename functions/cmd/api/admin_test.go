package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/query/store"
)

// TestBreakGlass: with no enabled admin left, "api admin" makes one with
// the store's credentials alone, ends its old sessions, and audits it.
func TestBreakGlass(t *testing.T) {
	dir := t.TempDir()
	b, err := store.NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Setenv("ATLHYPER_BCRYPT_COST", "4")
	svc, err := auth.New(auth.Config{Bucket: b, Secret: "break-glass-test-secret-4f1c9a7e2b8d6053", BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Bootstrap(ctx, "root", "Zulu-Echo-2026!#"); err != nil {
		t.Fatal(err)
	}
	old, _, err := svc.Login(ctx, "root", "Zulu-Echo-2026!#", "192.0.2.1", "t")
	if err != nil {
		t.Fatal(err)
	}
	// The last admin is lost (disabled behind the API's back).
	if _, err := svc.Users.Update(ctx, "root", func(u *auth.User) error { u.Role = auth.Viewer; return nil }); err == nil {
		t.Fatal("the last admin was demoted through the API")
	}
	raw, info, _ := b.Get(ctx, "_sys/auth/users/root.json", "")
	b.Put(ctx, "_sys/auth/users/root.json", bytes.Replace(raw, []byte(`"disabled":false`), []byte(`"disabled":true`), 1), store.IfMatch(info.ETag))

	var out bytes.Buffer
	if err := runAdmin(ctx, []string{"--store", "file://" + dir, "--user", "root"}, strings.NewReader("weak\n"), &out); err == nil {
		t.Fatal("weak password accepted")
	}
	if err := runAdmin(ctx, []string{"--store", "file://" + dir, "--user", "root"}, strings.NewReader("Oscar-Tango-2026!#\n"), &out); err != nil {
		t.Fatal(err)
	}
	fresh, _ := auth.New(auth.Config{Bucket: b, Secret: "break-glass-test-secret-4f1c9a7e2b8d6053", BcryptCost: 4})
	if _, _, err := fresh.Login(ctx, "root", "Oscar-Tango-2026!#", "192.0.2.1", "t"); err != nil {
		t.Fatalf("login after recovery: %v", err)
	}
	if _, err := fresh.Refresh(ctx, old.Refresh, "192.0.2.1"); err == nil {
		t.Fatal("a session from before the recovery still refreshes")
	}
	if admins, _ := fresh.EnabledAdmins(ctx); len(admins) != 1 || admins[0] != "root" {
		t.Fatalf("admins %v", admins)
	}
	audits, _ := store.ListAll(ctx, b, "audit/")
	if len(audits) != 1 || !strings.Contains(out.String(), "user.recover") {
		t.Fatalf("%d audit objects; output %s", len(audits), out.String())
	}
	// A new name is created as an admin.
	if err := runAdmin(ctx, []string{"--store", "file://" + dir, "--user", "rescue"}, strings.NewReader("Sierra-Uniform-2026!#"), &out); err != nil {
		t.Fatal(err)
	}
	if u, err := fresh.Users.Get(ctx, "rescue"); err != nil || u.Role != auth.Admin || u.CreatedBy != "break-glass" {
		t.Fatalf("rescue: %+v %v", u, err)
	}
}

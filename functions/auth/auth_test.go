package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

const secret = "auth-test-secret-5b1d9f3a7c2e8b4d6f0a1c3e5b7d9f2a"

type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) advance(d time.Duration) { c.off.Add(int64(d)) }

func newService(t testing.TB, b store.Bucket, c *clock) *auth.Service {
	s, err := auth.New(auth.Config{Bucket: b, Secret: secret, BcryptCost: 4, LocalRate: 1000, LocalBurst: 1000, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fileBucket(t testing.TB) store.Bucket {
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSecretsAndPasswords(t *testing.T) {
	for _, s := range []string{"", "short", "changeme", strings.Repeat("a", 64), "your-256-bit-secret", "abababababababababababababababababab"} {
		if auth.CheckSecret(s) == nil {
			t.Errorf("secret %q accepted", s)
		}
	}
	if err := auth.CheckSecret(secret); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "short", "password1234", "Password123!", "aaaaaaaaaaaaaaaa", "admin-admin-admin", strings.Repeat("x1", 40)} {
		if auth.CheckPassword("admin", p) == nil {
			t.Errorf("password %q accepted", p)
		}
	}
	if err := auth.CheckPassword("alice", "Correct-Horse-9-Battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.New(auth.Config{Bucket: fileBucket(t), Secret: "changeme"}); err == nil {
		t.Fatal("service started with a well-known secret")
	}
}

// TestConcurrentUpdatesNeverLost: two instances update one user at once,
// many times; compare-and-swap keeps every update.
func TestConcurrentUpdatesNeverLost(t *testing.T) {
	srv := miniotest.Start(t)
	b := srv.NewBucket(t)
	var c clock
	s1, s2 := newService(t, b, &c), newService(t, b, &c)
	ctx := context.Background()
	if _, err := s1.CreateUser(ctx, "carol", "Tango-Lima-2026!#", auth.Viewer, "test"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const n = 20
	for i := 0; i < n; i++ {
		for _, s := range []*auth.Service{s1, s2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Users.Update(ctx, "carol", func(u *auth.User) error { u.Generation++; return nil }); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	u, _ := s1.Users.Get(ctx, "carol")
	if u.Generation != 1+2*n {
		t.Fatalf("generation %d, want %d: updates were lost", u.Generation, 1+2*n)
	}
	// Creating the same user on two instances: exactly one wins.
	var wins atomic.Int32
	for _, s := range []*auth.Service{s1, s2, s1, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.CreateUser(ctx, "dave", "Tango-Lima-2026!#", auth.Viewer, "test"); err == nil {
				wins.Add(1)
			} else if !errors.Is(err, auth.ErrUserExists) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d creates won", wins.Load())
	}
}

// TestRateLimitAcrossInstances: failures on one instance lock the user on
// another; the IP limit too; a success clears the user's counter.
func TestRateLimitAcrossInstances(t *testing.T) {
	b := fileBucket(t)
	var c clock
	s1, s2 := newService(t, b, &c), newService(t, b, &c)
	ctx := context.Background()
	s1.CreateUser(ctx, "erin", "Tango-Lima-2026!#", auth.Viewer, "test")
	for i := 0; i < auth.UserLimit.MaxFailures; i++ {
		s := []*auth.Service{s1, s2}[i%2]
		if _, _, err := s.Login(ctx, "erin", "wrong-password-x", fmt.Sprintf("198.51.100.%d", i), "t"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, res, err := s2.Login(ctx, "erin", "Tango-Lima-2026!#", "198.51.100.200", "t")
	var lim *auth.LimitError
	if !errors.As(err, &lim) || lim.Scope != "user" || lim.RetryAfter <= 0 || res.Reason != "rate_limited_user" {
		t.Fatalf("locked user logged in: %v %v", err, res)
	}
	c.advance(auth.UserLimit.Window + time.Second)
	if _, _, err := s1.Login(ctx, "erin", "Tango-Lima-2026!#", "198.51.100.200", "t"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// Per IP: many usernames from one address.
	for i := 0; i < auth.IPLimit.MaxFailures; i++ {
		s := []*auth.Service{s1, s2}[i%2]
		s.Login(ctx, fmt.Sprintf("nobody-%d", i), "whatever-password", "203.0.113.9", "t")
	}
	if _, _, err := s1.Login(ctx, "erin", "Tango-Lima-2026!#", "203.0.113.9", "t"); !errors.As(err, &lim) || lim.Scope != "ip" {
		t.Fatalf("locked IP: %v", err)
	}
	// IPv6 addresses of one /64 share the limit.
	for i := 0; i < auth.IPLimit.MaxFailures; i++ {
		s1.Login(ctx, fmt.Sprintf("v6-%d", i), "wrong-password-y", fmt.Sprintf("2001:db8:1:2::%x", i+1), "t")
		c.advance(time.Millisecond)
	}
	if _, _, err := s2.Login(ctx, "frank", "whatever-password", "2001:db8:1:2:ffff::1", "t"); !errors.As(err, &lim) {
		t.Fatalf("locked /64: %v", err)
	}
}

func TestLocalLimiter(t *testing.T) {
	var c clock
	s, err := auth.New(auth.Config{Bucket: fileBucket(t), Secret: secret, BcryptCost: 4, LocalRate: 1, LocalBurst: 3, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	var lim *auth.LimitError
	for i := 0; i < 3; i++ {
		s.Login(context.Background(), "x", "y-password-123", "192.0.2.1", "t")
	}
	if _, _, err := s.Login(context.Background(), "x", "y-password-123", "192.0.2.1", "t"); !errors.As(err, &lim) || lim.Scope != "local" {
		t.Fatalf("burst exceeded: %v", err)
	}
}

// TestRevocationWithinCacheTTL: disabling, demoting, deleting and logging
// out take effect on another instance within CacheTTL.
func TestRevocationWithinCacheTTL(t *testing.T) {
	b := fileBucket(t)
	var c clock
	s1, s2 := newService(t, b, &c), newService(t, b, &c)
	ctx := context.Background()
	s1.CreateUser(ctx, "gina", "Tango-Lima-2026!#", auth.Admin, "test")
	s1.CreateUser(ctx, "root2", "Tango-Lima-2026!#", auth.Admin, "test")
	tok, _, err := s1.Login(ctx, "gina", "Tango-Lima-2026!#", "192.0.2.2", "t")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s2.Authenticate(ctx, tok.Access)
	if err != nil || p.Role != auth.Admin {
		t.Fatalf("authenticate: %v %v", p, err)
	}
	// Demote on instance 1; instance 2 sees it within the TTL.
	s1.Users.Update(ctx, "gina", func(u *auth.User) error { u.Role = auth.Viewer; return nil })
	c.advance(auth.CacheTTL + time.Second)
	if p, err := s2.Authenticate(ctx, tok.Access); err != nil || p.Role != auth.Viewer {
		t.Fatalf("after demotion: %v %v", p, err)
	}
	// Disable.
	s1.Users.Update(ctx, "gina", func(u *auth.User) error { u.Disabled = true; return nil })
	c.advance(auth.CacheTTL + time.Second)
	if _, err := s2.Authenticate(ctx, tok.Access); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("disabled user: %v", err)
	}
	if _, _, err := s2.Login(ctx, "gina", "Tango-Lima-2026!#", "192.0.2.2", "t"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("disabled login: %v", err)
	}
	// Logout on one instance ends the session on the other.
	tok2, _, _ := s1.Login(ctx, "root2", "Tango-Lima-2026!#", "192.0.2.2", "t")
	p2, _ := s2.Authenticate(ctx, tok2.Access)
	if err := s1.Logout(ctx, p2, false); err != nil {
		t.Fatal(err)
	}
	c.advance(auth.CacheTTL + time.Second)
	if _, err := s2.Authenticate(ctx, tok2.Access); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("after logout: %v", err)
	}
	if _, err := s2.Refresh(ctx, tok2.Refresh, "192.0.2.2"); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("refresh after logout: %v", err)
	}
	// The last enabled admin cannot be removed.
	if err := s1.Users.Delete(ctx, "root2"); !errors.Is(err, auth.ErrLastAdmin) {
		t.Fatalf("delete last admin: %v", err)
	}
	if _, err := s1.Users.Update(ctx, "root2", func(u *auth.User) error { u.Role = auth.Operator; return nil }); !errors.Is(err, auth.ErrLastAdmin) {
		t.Fatalf("demote last admin: %v", err)
	}
}

// TestRefreshRotation: a refresh token works once; reusing a rotated one
// revokes the session.
func TestRefreshRotation(t *testing.T) {
	b := fileBucket(t)
	var c clock
	s := newService(t, b, &c)
	ctx := context.Background()
	s.CreateUser(ctx, "hank", "Tango-Lima-2026!#", auth.Viewer, "test")
	t0, _, err := s.Login(ctx, "hank", "Tango-Lima-2026!#", "192.0.2.3", "t")
	if err != nil {
		t.Fatal(err)
	}
	t1, err := s.Refresh(ctx, t0.Refresh, "192.0.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, t1.Access); err != nil {
		t.Fatal(err)
	}
	// An access token is not a refresh token, and vice versa.
	if _, err := s.Refresh(ctx, t1.Access, "192.0.2.3"); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("access token used to refresh: %v", err)
	}
	if _, err := s.Authenticate(ctx, t1.Refresh); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("refresh token used as access: %v", err)
	}
	c.advance(time.Minute)
	// Replaying the first refresh token (stolen copy) revokes the session.
	if _, err := s.Refresh(ctx, t0.Refresh, "192.0.2.3"); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("reuse: %v", err)
	}
	if _, err := s.Refresh(ctx, t1.Refresh, "192.0.2.3"); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("after reuse the session must be gone: %v", err)
	}
	c.advance(auth.CacheTTL + time.Second)
	if _, err := s.Authenticate(ctx, t1.Access); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("access after reuse: %v", err)
	}
}

// TestTokenForgery: tokens with another algorithm, no signature, another
// key, a wrong audience, or expired are refused.
func TestTokenForgery(t *testing.T) {
	b := fileBucket(t)
	var c clock
	s := newService(t, b, &c)
	ctx := context.Background()
	s.CreateUser(ctx, "ivan", "Tango-Lima-2026!#", auth.Admin, "test")
	good, _, _ := s.Login(ctx, "ivan", "Tango-Lima-2026!#", "192.0.2.4", "t")
	parts := strings.Split(good.Access, ".")
	enc := base64.RawURLEncoding.EncodeToString
	none := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	other, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ivan", "iss": "atlhyper", "aud": "atlhyper-api",
		"exp": time.Now().Add(time.Hour).Unix(), "nbf": time.Now().Unix(), "iat": time.Now().Unix(), "sid": "x", "jti": "y", "gen": 1}).SignedString([]byte("some-other-key-of-enough-length-1234"))
	hs512 := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"sub": "ivan"})
	hs512s, _ := hs512.SignedString([]byte(secret))
	for name, tok := range map[string]string{
		"none": none, "other key": other, "hs512": hs512s, "garbage": "a.b.c", "empty": "", "truncated": good.Access[:len(good.Access)-5],
		"huge": strings.Repeat("a", 10000), "refresh as access": good.Refresh,
	} {
		if _, err := s.Authenticate(ctx, tok); !errors.Is(err, auth.ErrTokenInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	c.advance(auth.AccessTTL + time.Minute)
	if _, err := s.Authenticate(ctx, good.Access); !errors.Is(err, auth.ErrTokenExpired) {
		t.Fatalf("expired: %v", err)
	}
	// Rotation: a new secret with the old one as previous still accepts
	// tokens the old one signed.
	c.off.Store(0)
	tok, _, _ := s.Login(ctx, "ivan", "Tango-Lima-2026!#", "192.0.2.4", "t")
	rotated, err := auth.New(auth.Config{Bucket: b, Secret: "new-secret-after-rotation-9f8e7d6c5b4a3210", PreviousSecret: secret, BcryptCost: 4, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.Authenticate(ctx, tok.Access); err != nil {
		t.Fatalf("old token after rotation: %v", err)
	}
}

// TestUnknownUserCostsTheSame: an unknown user is checked against a dummy
// hash of the same cost, so it takes as long as a wrong password.
func TestUnknownUserCostsTheSame(t *testing.T) {
	b := fileBucket(t)
	var c clock
	s, _ := auth.New(auth.Config{Bucket: b, Secret: secret, BcryptCost: 10, LocalRate: 1000, LocalBurst: 1000,
		UserLimit: auth.LimitPolicy{MaxFailures: 1000, Window: time.Minute}, IPLimit: auth.LimitPolicy{MaxFailures: 1000, Window: time.Minute}, Now: c.now})
	ctx := context.Background()
	s.CreateUser(ctx, "judy", "Tango-Lima-2026!#", auth.Viewer, "test")
	median := func(user string) time.Duration {
		var ds []time.Duration
		for i := 0; i < 7; i++ {
			start := time.Now()
			s.Login(ctx, user, "wrong-password-z", "192.0.2.5", "t")
			ds = append(ds, time.Since(start))
		}
		for i := range ds {
			for j := i + 1; j < len(ds); j++ {
				if ds[j] < ds[i] {
					ds[i], ds[j] = ds[j], ds[i]
				}
			}
		}
		return ds[3]
	}
	known, unknown := median("judy"), median("nobody-here")
	if ratio := float64(unknown) / float64(known); ratio < 0.33 || ratio > 3 {
		t.Fatalf("known user %s, unknown user %s: timing tells them apart", known, unknown)
	}
}

// TestBootstrapOnce: the admin from the environment is made once in the
// store's life; a later start never brings it back after it was deleted,
// renamed or disabled, even with no admin left; the break-glass recovery
// does.
func TestBootstrapOnce(t *testing.T) {
	b := fileBucket(t)
	var c clock
	s := newService(t, b, &c)
	ctx := context.Background()
	if _, err := s.Bootstrap(ctx, "", ""); !errors.Is(err, auth.ErrNoAdmin) {
		t.Fatalf("empty store, no credentials: %v", err)
	}
	if _, err := s.Bootstrap(ctx, "root", "password1234"); err == nil {
		t.Fatal("weak bootstrap password accepted")
	}
	rec, err := s.Bootstrap(ctx, "root", "Zulu-Echo-2026!#")
	if err != nil || rec.How != "created" || rec.User != "root" {
		t.Fatalf("first start: %+v %v", rec, err)
	}
	// A later start never overwrites a changed password.
	s.SetPassword(ctx, "root", "Xray-Delta-2026!#")
	if _, err := s.Bootstrap(ctx, "root", "Zulu-Echo-2026!#"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Login(ctx, "root", "Xray-Delta-2026!#", "192.0.2.6", "t"); err != nil {
		t.Fatalf("changed password lost: %v", err)
	}
	// The admin is renamed: a new admin, the old one deleted. Starting
	// again (every Lambda cold start) must not bring "root" back.
	if _, err := s.CreateUser(ctx, "alice", "Mike-Oscar-2026!#", auth.Admin, "root"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "root"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		s2 := newService(t, b, &c)
		if _, err := s2.Bootstrap(ctx, "root", "Zulu-Echo-2026!#"); err != nil {
			t.Fatal(err)
		}
		if _, err := s2.Users.Get(ctx, "root"); !errors.Is(err, auth.ErrUserNotFound) {
			t.Fatalf("start %d: the deleted bootstrap admin came back: %v", i, err)
		}
	}
	// Even with no enabled admin left, a start changes nothing…
	raw, info, _ := b.Get(ctx, "_sys/auth/users/alice.json", "")
	b.Put(ctx, "_sys/auth/users/alice.json", []byte(strings.Replace(string(raw), `"disabled":false`, `"disabled":true`, 1)), store.IfMatch(info.ETag))
	if _, err := s.Bootstrap(ctx, "root", "Zulu-Echo-2026!#"); err != nil {
		t.Fatal(err)
	}
	if admins, _ := s.EnabledAdmins(ctx); len(admins) != 0 {
		t.Fatalf("admins %v", admins)
	}
	// …and the break-glass recovery makes one.
	tok, _, _ := s.Login(ctx, "alice", "Mike-Oscar-2026!#", "192.0.2.6", "t")
	u, created, err := s.Recover(ctx, "alice", "Papa-Quebec-2026!#")
	if err != nil || created || u.Role != auth.Admin || u.Disabled {
		t.Fatalf("recover: %+v %v %v", u, created, err)
	}
	if _, _, err := s.Login(ctx, "alice", "Papa-Quebec-2026!#", "192.0.2.7", "t"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if _, err := s.Refresh(ctx, tok.Refresh, "192.0.2.6"); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("old session after recovery: %v", err)
	}
	// A store with users but no record (from before it existed) gets the
	// record and no new user.
	b2 := fileBucket(t)
	s3 := newService(t, b2, &c)
	s3.CreateUser(ctx, "old-admin", "Romeo-Sierra-2026!#", auth.Admin, "test")
	if rec, err := s3.Bootstrap(ctx, "root", "Zulu-Echo-2026!#"); err != nil || rec.How != "existing_users" {
		t.Fatalf("legacy store: %+v %v", rec, err)
	}
	if _, err := s3.Users.Get(ctx, "root"); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("legacy store got a bootstrap admin: %v", err)
	}
}

// TestDeletedUserTokensStayDead: a user deleted and created again under the
// same name (same password even) is another account; the old account's
// access and refresh tokens stay refused, and its sessions are gone.
func TestDeletedUserTokensStayDead(t *testing.T) {
	b := fileBucket(t)
	var c clock
	s1, s2 := newService(t, b, &c), newService(t, b, &c)
	ctx := context.Background()
	s1.CreateUser(ctx, "root", "Tango-Lima-2026!#", auth.Admin, "test")
	s1.CreateUser(ctx, "nina", "Tango-Lima-2026!#", auth.Viewer, "test")
	old, _, err := s1.Login(ctx, "nina", "Tango-Lima-2026!#", "192.0.2.10", "t")
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := s1.Login(ctx, "root", "Tango-Lima-2026!#", "192.0.2.10", "t")
	if _, err := s2.Authenticate(ctx, old.Access); err != nil {
		t.Fatal(err)
	}
	if err := s1.DeleteUser(ctx, "nina"); err != nil {
		t.Fatal(err)
	}
	infos, _ := store.ListAll(ctx, b, "_sys/auth/sessions/")
	if len(infos) != 1 {
		t.Fatalf("%d sessions left, want only root's", len(infos))
	}
	if _, err := s1.CreateUser(ctx, "nina", "Tango-Lima-2026!#", auth.Viewer, "test"); err != nil {
		t.Fatal(err)
	}
	c.advance(auth.CacheTTL + time.Second)
	for _, s := range []*auth.Service{s1, s2} {
		if _, err := s.Authenticate(ctx, old.Access); !errors.Is(err, auth.ErrTokenInvalid) {
			t.Fatalf("old access token of the recreated user: %v", err)
		}
		if _, err := s.Refresh(ctx, old.Refresh, "192.0.2.10"); !errors.Is(err, auth.ErrTokenInvalid) {
			t.Fatalf("old refresh token of the recreated user: %v", err)
		}
	}
	if _, err := s2.Authenticate(ctx, other.Access); err != nil {
		t.Fatalf("another user's session: %v", err)
	}
	if _, _, err := s2.Login(ctx, "nina", "Tango-Lima-2026!#", "192.0.2.10", "t"); err != nil {
		t.Fatalf("the new account: %v", err)
	}
}

// TestLockoutUnderConcurrency: 24 parallel guesses of one password (limit
// 5), on two instances, from distinct addresses: at most 5 passwords are
// compared, and exactly one attempt reports the lockout's start.
func TestLockoutUnderConcurrency(t *testing.T) {
	srv := miniotest.Start(t)
	b := srv.NewBucket(t)
	var c clock
	s1, s2 := newService(t, b, &c), newService(t, b, &c)
	n1, n2 := auth.CountCompares(s1), auth.CountCompares(s2)
	ctx := context.Background()
	s1.CreateUser(ctx, "olga", "Tango-Lima-2026!#", auth.Viewer, "test")
	var wg sync.WaitGroup
	var lockouts, refused atomic.Int32
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := []*auth.Service{s1, s2}[i%2]
			_, res, err := s.Login(ctx, "olga", fmt.Sprintf("guess-number-%d", i), fmt.Sprintf("198.51.100.%d", i), "t")
			var lim *auth.LimitError
			switch {
			case errors.As(err, &lim):
				refused.Add(1)
			case !errors.Is(err, auth.ErrBadCredentials):
				t.Error(err)
			}
			for _, l := range res.Lockouts {
				if l.Scope == "user" {
					lockouts.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := n1.Load() + n2.Load(); got != int64(auth.UserLimit.MaxFailures) {
		t.Fatalf("%d passwords compared under 24 parallel guesses, want %d", got, auth.UserLimit.MaxFailures)
	}
	if refused.Load() != 24-int32(auth.UserLimit.MaxFailures) || lockouts.Load() != 1 {
		t.Fatalf("%d refused, %d lockouts began", refused.Load(), lockouts.Load())
	}
}

// TestPasswordChangeLimited: guesses of the current password count in the
// login limit; past it nothing is compared.
func TestPasswordChangeLimited(t *testing.T) {
	b := fileBucket(t)
	var c clock
	s := newService(t, b, &c)
	n := auth.CountCompares(s)
	ctx := context.Background()
	s.CreateUser(ctx, "pete", "Tango-Lima-2026!#", auth.Viewer, "test")
	tok, _, _ := s.Login(ctx, "pete", "Tango-Lima-2026!#", "192.0.2.11", "t")
	p, _ := s.Authenticate(ctx, tok.Access)
	start := n.Load()
	var lim *auth.LimitError
	for i := 0; i < 50; i++ {
		res, err := s.ChangePassword(ctx, p, fmt.Sprintf("guess-%d-password", i), "Victor-Whiskey-2026!#", fmt.Sprintf("198.18.0.%d", i))
		if i < auth.UserLimit.MaxFailures && !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i, err)
		}
		if i == auth.UserLimit.MaxFailures-1 && len(res.Lockouts) != 1 {
			t.Fatalf("the 5th wrong guess began no lockout: %+v", res)
		}
		if i >= auth.UserLimit.MaxFailures && (!errors.As(err, &lim) || lim.Scope != "user") {
			t.Fatalf("guess %d: %v, want rate limited", i, err)
		}
	}
	if got := n.Load() - start; got != int64(auth.UserLimit.MaxFailures) {
		t.Fatalf("%d current passwords compared for 50 guesses", got)
	}
	// Login is locked too: one budget per username.
	if _, _, err := s.Login(ctx, "pete", "Tango-Lima-2026!#", "192.0.2.12", "t"); !errors.As(err, &lim) {
		t.Fatalf("login after guessing: %v", err)
	}
}

// TestSlidingWindow: failures on both sides of 00:00 UTC count together
// (day-keyed counters used to reset there), and a lock ends when its
// oldest failure leaves the window.
func TestSlidingWindow(t *testing.T) {
	b := fileBucket(t)
	base := time.Date(2026, 12, 6, 23, 55, 0, 0, time.UTC)
	var off atomic.Int64
	now := func() time.Time { return base.Add(time.Duration(off.Load())) }
	s, err := auth.New(auth.Config{Bucket: b, Secret: secret, BcryptCost: 4, LocalRate: 1000, LocalBurst: 1000, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.CreateUser(ctx, "quinn", "Tango-Lima-2026!#", auth.Viewer, "test")
	for i := 0; i < auth.UserLimit.MaxFailures; i++ {
		s.Login(ctx, "quinn", "wrong-password-w", fmt.Sprintf("203.0.113.%d", i), "t")
		off.Add(int64(2 * time.Minute)) // 23:55, 23:57, 23:59, 00:01, 00:03
	}
	var lim *auth.LimitError
	_, _, err = s.Login(ctx, "quinn", "Tango-Lima-2026!#", "203.0.113.50", "t")
	if !errors.As(err, &lim) || lim.Scope != "user" {
		t.Fatalf("00:05, five failures in 15 min across midnight: %v", err)
	}
	if lim.RetryAfter != 5*time.Minute { // the 23:55 failure leaves the window at 00:10
		t.Fatalf("retry after %s, want 5m", lim.RetryAfter)
	}
	off.Add(int64(5 * time.Minute))
	if _, _, err := s.Login(ctx, "quinn", "Tango-Lima-2026!#", "203.0.113.50", "t"); err != nil {
		t.Fatalf("00:10: %v", err)
	}
}

// TestAttackerWritesBounded: refused logins write no audit object (the
// caller audits only Lockouts), and once a key is locked further attempts
// cost the store no write at all.
func TestAttackerWritesBounded(t *testing.T) {
	m := store.NewMetered(fileBucket(t))
	var c clock
	s := newService(t, m, &c)
	ctx := context.Background()
	s.CreateUser(ctx, "rita", "Tango-Lima-2026!#", auth.Viewer, "test")
	var lockouts []auth.Lockout
	for i := 0; i < auth.UserLimit.MaxFailures; i++ {
		_, res, _ := s.Login(ctx, "rita", "wrong-password-v", fmt.Sprintf("198.51.100.%d", i), "t")
		lockouts = append(lockouts, res.Lockouts...)
	}
	if len(lockouts) != 1 || lockouts[0].Scope != "user" || lockouts[0].Failures != 5 || len(lockouts[0].Sources) != 5 ||
		lockouts[0].First.IsZero() || !lockouts[0].Until.After(lockouts[0].Last) {
		t.Fatalf("lockouts %+v", lockouts)
	}
	before := m.Requests().Put
	for i := 0; i < 200; i++ {
		s.Login(ctx, "rita", "wrong-password-v", "198.51.100.77", "t")
	}
	if puts := m.Requests().Put - before; puts > int64(auth.IPLimit.MaxFailures) {
		t.Fatalf("200 attempts at a locked user cost %d PUTs", puts)
	}
}

// TestGC: expired sessions and old failure counters are removed; live
// ones stay.
func TestGC(t *testing.T) {
	b := fileBucket(t)
	var c clock
	s := newService(t, b, &c)
	ctx := context.Background()
	s.CreateUser(ctx, "kate", "Tango-Lima-2026!#", auth.Viewer, "test")
	s.Login(ctx, "kate", "wrong-password-q", "192.0.2.9", "t")
	old, _, err := s.Login(ctx, "kate", "Tango-Lima-2026!#", "192.0.2.9", "t")
	if err != nil {
		t.Fatal(err)
	}
	count := func(prefix string) int {
		infos, _ := store.ListAll(ctx, b, prefix)
		return len(infos)
	}
	if count("_sys/auth/sessions/") != 1 || count("_sys/auth/ratelimit/") == 0 {
		t.Fatalf("before: %d sessions, %d counters", count("_sys/auth/sessions/"), count("_sys/auth/ratelimit/"))
	}
	c.advance(auth.SessionMaxAge + 3*24*time.Hour)
	if _, _, err := s.Login(ctx, "kate", "Tango-Lima-2026!#", "192.0.2.9", "t"); err != nil {
		t.Fatal(err)
	}
	if err := s.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count("_sys/auth/sessions/"); n != 1 {
		t.Fatalf("after GC: %d sessions, want only the new one", n)
	}
	if n := count("_sys/auth/ratelimit/"); n != 0 {
		t.Fatalf("old counters kept: %d", n)
	}
	if _, err := s.Refresh(ctx, old.Refresh, "192.0.2.9"); !errors.Is(err, auth.ErrTokenInvalid) && !errors.Is(err, auth.ErrTokenExpired) {
		t.Fatalf("expired session refreshed: %v", err)
	}
}

package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/atlhyper/atlhyper/internal/lru"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/singleflight"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// CacheTTL bounds how long an instance trusts a cached user or session
// object; disabling, demoting or logging out takes effect everywhere within
// it.
const CacheTTL = 30 * time.Second

// Config configures a Service.
type Config struct {
	Bucket store.Bucket
	// Secret signs tokens (CheckSecret); PreviousSecret, if set, still
	// verifies tokens signed before a rotation.
	Secret, PreviousSecret string
	BcryptCost             int // default DefaultCost
	UserLimit, IPLimit     LimitPolicy
	// LocalRate and LocalBurst are the per-instance, per-IP token bucket
	// for login and refresh attempts (default 2/s, burst 10).
	LocalRate  float64
	LocalBurst int
	Logger     *slog.Logger
	Now        func() time.Time
}

// Service authenticates users and manages users and sessions.
type Service struct {
	cfg      Config
	Users    *Users
	sessions *sessions
	keys     keyring
	limit    *limiter
	dummy    string

	compared  *atomic.Int64 // password comparisons, when a test counts them
	group     singleflight.Group
	gcRunning atomic.Bool
	users     *lru.Cache[string, cachedUser]    // by username, bounded
	sess      *lru.Cache[string, cachedSession] // by session ID, bounded
}

// Bounds of the per-instance caches of users and sessions.
const (
	maxCachedUsers    = 10_000
	maxCachedSessions = 50_000
)

type cachedUser struct {
	u   User
	err error // ErrUserNotFound cached too
	at  time.Time
}

type cachedSession struct {
	s   Session
	err error
	at  time.Time
}

// New checks the configuration and returns a service.
func New(cfg Config) (*Service, error) {
	if cfg.Bucket == nil {
		return nil, errors.New("auth: no bucket")
	}
	if err := CheckSecret(cfg.Secret); err != nil {
		return nil, err
	}
	if cfg.PreviousSecret != "" {
		if err := CheckSecret(cfg.PreviousSecret); err != nil {
			return nil, fmt.Errorf("previous secret: %w", err)
		}
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = DefaultCost
	}
	if cfg.BcryptCost < bcrypt.MinCost || cfg.BcryptCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("auth: bcrypt cost %d out of range", cfg.BcryptCost)
	}
	if cfg.UserLimit.MaxFailures == 0 {
		cfg.UserLimit = UserLimit
	}
	if cfg.IPLimit.MaxFailures == 0 {
		cfg.IPLimit = IPLimit
	}
	if cfg.LocalRate == 0 {
		cfg.LocalRate, cfg.LocalBurst = 2, 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{
		cfg:      cfg,
		Users:    &Users{b: cfg.Bucket, now: cfg.Now},
		sessions: &sessions{b: cfg.Bucket},
		keys:     newKeyring(cfg.Secret, cfg.PreviousSecret),
		limit:    newLimiter(cfg.Bucket, cfg.Now, cfg.LocalRate, cfg.LocalBurst),
		dummy:    dummyHash(cfg.BcryptCost),
		users:    lru.New[string, cachedUser](maxCachedUsers, nil),
		sess:     lru.New[string, cachedSession](maxCachedSessions, nil),
	}, nil
}

// MemoryCaches reports the instance's in-memory caches against their
// bounds: users, sessions and the per-address login buckets.
func (s *Service) MemoryCaches() (users, sessions, addresses lru.Stats) {
	return s.users.Stats(), s.sess.Stats(), s.limit.buckets.Stats()
}

// Principal is an authenticated caller.
type Principal struct {
	Username  string
	Role      Role // the role stored now, not the one in the token
	SessionID string
}

// Tokens is what login and refresh return.
type Tokens struct {
	Access, Refresh       string
	AccessTTL, RefreshTTL time.Duration
	User                  User
	SessionID             string
}

// Login failures. ErrBadCredentials covers unknown users, wrong passwords
// and disabled users alike so that no answer tells them apart.
var (
	ErrBadCredentials = errors.New("invalid username or password")
	ErrRateLimited    = errors.New("too many attempts")
)

// LimitError carries how long to wait.
type LimitError struct {
	RetryAfter time.Duration
	Scope      string // "ip", "user" or "local"
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: retry after %s", ErrRateLimited, e.RetryAfter.Round(time.Second))
}
func (e *LimitError) Unwrap() error { return ErrRateLimited }

// LoginResult tells the caller (for the audit record) why a login failed,
// and what it should record.
type LoginResult struct {
	Reason string // ok, unknown_user, bad_password, disabled, rate_limited_user, rate_limited_ip, rate_limited_local
	// Lockouts lists the locks this attempt began (at most one per
	// scope): each gets an audit record; other refused attempts do not.
	Lockouts []Lockout
	// RecentFailures counts the username's failures in the window before
	// a successful login.
	RecentFailures int
}

// guard reserves an attempt at guessing username's password from ip in
// both counters (IP first: a locked address costs no write on the user's
// counter). A non-nil error with no reservations means refused.
type guard struct {
	ip, user reservation
}

func (s *Service) reserve(ctx context.Context, username, ip string) (guard, *LoginResult, error) {
	var g guard
	var res LoginResult
	var wait time.Duration
	var err error
	g.ip, wait, err = s.limit.reserve(ctx, limitKey("ip", ipKey(ip)), "ip", s.cfg.IPLimit, ip)
	if err != nil {
		return g, &LoginResult{Reason: "error"}, err
	}
	if wait > 0 {
		return g, &LoginResult{Reason: "rate_limited_ip"}, &LimitError{RetryAfter: wait, Scope: "ip"}
	}
	if g.ip.lockout != nil {
		res.Lockouts = append(res.Lockouts, *g.ip.lockout)
	}
	g.user, wait, err = s.limit.reserve(ctx, limitKey("user", username), "user", s.cfg.UserLimit, ip)
	if err != nil {
		return g, &LoginResult{Reason: "error", Lockouts: res.Lockouts}, err
	}
	if wait > 0 {
		return g, &LoginResult{Reason: "rate_limited_user", Lockouts: res.Lockouts}, &LimitError{RetryAfter: wait, Scope: "user"}
	}
	if g.user.lockout != nil {
		res.Lockouts = append(res.Lockouts, *g.user.lockout)
	}
	return g, &res, nil
}

// succeeded gives the IP's reservation back and clears the username's
// counter: a right password is not a failure.
func (s *Service) succeeded(ctx context.Context, g guard) {
	if err := errors.Join(s.limit.release(ctx, g.ip), s.limit.clear(ctx, g.user.key)); err != nil {
		s.cfg.Logger.Warn("auth: could not clear login failures", "error", err)
	}
}

// compare checks a password against a hash (bcrypt); counted in tests.
func (s *Service) compare(hash, password string) error {
	if s.compared != nil {
		s.compared.Add(1)
	}
	if len(password) > 1024 { // bcrypt refuses > 72 bytes anyway; don't hash megabytes
		password = password[:1024]
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
}

// Login checks a username and password and opens a session. The attempt
// is counted as a failure before the password is compared (see
// ratelimit.go), so parallel guesses cannot outrun the limit.
func (s *Service) Login(ctx context.Context, username, password, ip, userAgent string) (Tokens, LoginResult, error) {
	username = NormalizeUsername(username)
	if !s.limit.allowLocal(ip) {
		return Tokens{}, LoginResult{Reason: "rate_limited_local"}, &LimitError{RetryAfter: time.Second * 5, Scope: "local"}
	}
	g, res, err := s.reserve(ctx, username, ip)
	if err != nil {
		return Tokens{}, *res, err
	}
	var usr User
	if ValidUsername(username) == nil {
		usr, err = s.Users.Get(ctx, username)
	} else {
		err = ErrUserNotFound
	}
	if err != nil && !errors.Is(err, ErrUserNotFound) {
		return Tokens{}, LoginResult{Reason: "error", Lockouts: res.Lockouts}, err
	}
	reason := "ok"
	hash := usr.PasswordHash
	if errors.Is(err, ErrUserNotFound) {
		hash, reason = s.dummy, "unknown_user"
	}
	cmpErr := s.compare(hash, password)
	if reason == "ok" && cmpErr != nil {
		reason = "bad_password"
	}
	if reason == "ok" && usr.Disabled {
		reason = "disabled"
	}
	if reason != "ok" {
		return Tokens{}, LoginResult{Reason: reason, Lockouts: res.Lockouts}, ErrBadCredentials
	}
	recent := g.user.inWindow - 1
	s.succeeded(ctx, g)
	if usr, err = s.ensureID(ctx, usr); err != nil {
		return Tokens{}, LoginResult{Reason: "error"}, err
	}
	s.rehash(ctx, usr, password)
	s.maybeGC()
	now := s.cfg.Now().UTC()
	ss := Session{ID: newSessionID(now, usr.ID), Username: username, UserID: usr.ID, CreatedAt: now, ExpiresAt: now.Add(SessionMaxAge),
		RefreshID: randomID(), RotatedAt: now, SourceIP: ip, UserAgent: truncate(userAgent, 200)}
	if err := s.sessions.create(ctx, ss); err != nil {
		return Tokens{}, LoginResult{Reason: "error"}, err
	}
	t, err := s.issue(usr, ss)
	return t, LoginResult{Reason: "ok", RecentFailures: max(recent, 0)}, err
}

// ensureID gives a user created before accounts had IDs its ID, once.
func (s *Service) ensureID(ctx context.Context, usr User) (User, error) {
	if usr.ID != "" {
		return usr, nil
	}
	id := randomID()
	u, err := s.Users.Update(ctx, usr.Username, func(u *User) error {
		if u.ID == "" {
			u.ID = id
		}
		return nil
	})
	s.Forget(usr.Username)
	return u, err
}

// rehash upgrades a hash made with another cost, so that every user costs
// the same time as the dummy hash.
func (s *Service) rehash(ctx context.Context, usr User, password string) {
	if c, err := bcrypt.Cost([]byte(usr.PasswordHash)); err == nil && c == s.cfg.BcryptCost {
		return
	}
	h, err := HashPassword(password, s.cfg.BcryptCost)
	if err != nil {
		return
	}
	_, err = s.Users.Update(ctx, usr.Username, func(u *User) error {
		if u.PasswordHash != usr.PasswordHash {
			return errors.New("password changed meanwhile")
		}
		u.PasswordHash = h
		return nil
	})
	if err != nil {
		s.cfg.Logger.Debug("auth: rehash skipped", "user", usr.Username, "error", err)
	}
}

func (s *Service) issue(usr User, ss Session) (Tokens, error) {
	now := s.cfg.Now().UTC()
	access := Claims{
		RegisteredClaims: regClaims(usr.Username, AccessAudience, randomID(), now, now.Add(AccessTTL)),
		Role:             usr.Role, Generation: usr.Generation, SessionID: ss.ID, UserID: usr.ID,
	}
	refreshExp := now.Add(RefreshTTL)
	if ss.ExpiresAt.Before(refreshExp) {
		refreshExp = ss.ExpiresAt
	}
	refresh := Claims{
		RegisteredClaims: regClaims(usr.Username, RefreshAudience, ss.RefreshID, now, refreshExp),
		Generation:       usr.Generation, SessionID: ss.ID, UserID: usr.ID,
	}
	a, err := sign(s.keys.access, access)
	if err != nil {
		return Tokens{}, err
	}
	r, err := sign(s.keys.refresh, refresh)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{Access: a, Refresh: r, AccessTTL: AccessTTL, RefreshTTL: refreshExp.Sub(now), User: usr, SessionID: ss.ID}, nil
}

// Refresh rotates a refresh token.
func (s *Service) Refresh(ctx context.Context, raw, ip string) (Tokens, error) {
	if !s.limit.allowLocal(ip) {
		return Tokens{}, &LimitError{RetryAfter: 5 * time.Second, Scope: "local"}
	}
	c, err := parse(s.keys.refresh, RefreshAudience, raw, s.cfg.Now)
	if err != nil {
		return Tokens{}, err
	}
	now := s.cfg.Now().UTC()
	var reuse bool
	ss, err := s.sessions.update(ctx, c.SessionID, func(ss *Session) error {
		reuse = false
		switch {
		case ss.Revoked || ss.Username != c.Subject || ss.UserID != c.UserID || !now.Before(ss.ExpiresAt):
			return fmt.Errorf("%w: session ended", ErrTokenInvalid)
		case ss.RefreshID == c.ID:
			ss.PreviousID, ss.RefreshID, ss.RotatedAt = ss.RefreshID, randomID(), now
			return nil
		case ss.PreviousID == c.ID && now.Sub(ss.RotatedAt) < 10*time.Second:
			return fmt.Errorf("%w: refresh token was just rotated by a concurrent request", ErrTokenInvalid)
		default:
			reuse = true
			ss.Revoked, ss.RevokedWhy = true, "refresh token reused"
			return nil
		}
	})
	if errors.Is(err, ErrSessionNotFound) {
		return Tokens{}, fmt.Errorf("%w: session ended", ErrTokenInvalid)
	}
	if err != nil {
		return Tokens{}, err
	}
	s.forgetSession(c.SessionID)
	if reuse {
		s.cfg.Logger.Warn("auth: refresh token reuse; session revoked", "user", c.Subject, "session", c.SessionID)
		return Tokens{}, fmt.Errorf("%w: refresh token reused; session revoked", ErrTokenInvalid)
	}
	usr, err := s.Users.Get(ctx, c.Subject)
	if errors.Is(err, ErrUserNotFound) {
		return Tokens{}, fmt.Errorf("%w: user gone", ErrTokenInvalid)
	}
	if err != nil {
		return Tokens{}, err
	}
	if usr.Disabled || usr.Generation != c.Generation || usr.ID != c.UserID {
		return Tokens{}, fmt.Errorf("%w: user disabled or tokens revoked", ErrTokenInvalid)
	}
	return s.issue(usr, ss)
}

// Authenticate verifies an access token and returns the caller with the
// role stored now. A disabled, deleted or revoked user, or an ended session,
// is refused within CacheTTL of the change.
func (s *Service) Authenticate(ctx context.Context, raw string) (Principal, error) {
	c, err := parse(s.keys.access, AccessAudience, raw, s.cfg.Now)
	if err != nil {
		return Principal{}, err
	}
	usr, err := s.cachedUser(ctx, c.Subject)
	if errors.Is(err, ErrUserNotFound) {
		return Principal{}, fmt.Errorf("%w: user gone", ErrTokenInvalid)
	}
	if err != nil {
		return Principal{}, err
	}
	// The ID, not the name, is the account: a user deleted and created
	// again has another, and the old account's tokens stay dead.
	if usr.Disabled || usr.Generation != c.Generation || usr.ID != c.UserID {
		return Principal{}, fmt.Errorf("%w: user disabled or tokens revoked", ErrTokenInvalid)
	}
	ss, err := s.cachedSession(ctx, c.SessionID)
	if errors.Is(err, ErrSessionNotFound) {
		return Principal{}, fmt.Errorf("%w: session ended", ErrTokenInvalid)
	}
	if err != nil {
		return Principal{}, err
	}
	if ss.Revoked || ss.Username != c.Subject || ss.UserID != c.UserID || !s.cfg.Now().Before(ss.ExpiresAt) {
		return Principal{}, fmt.Errorf("%w: session ended", ErrTokenInvalid)
	}
	return Principal{Username: usr.Username, Role: usr.Role, SessionID: ss.ID}, nil
}

func (s *Service) cachedUser(ctx context.Context, name string) (User, error) {
	c, ok := s.users.Get(name)
	if ok && s.cfg.Now().Sub(c.at) < CacheTTL {
		return c.u, c.err
	}
	v, err, _ := s.group.Do("u/"+name, func() (any, error) {
		u, err := s.Users.Get(ctx, name)
		if err == nil || errors.Is(err, ErrUserNotFound) {
			s.users.Put(name, cachedUser{u: u, err: err, at: s.cfg.Now()})
		}
		return u, err
	})
	return v.(User), err
}

func (s *Service) cachedSession(ctx context.Context, id string) (Session, error) {
	c, ok := s.sess.Get(id)
	if ok && s.cfg.Now().Sub(c.at) < CacheTTL {
		return c.s, c.err
	}
	v, err, _ := s.group.Do("s/"+id, func() (any, error) {
		ss, _, err := s.sessions.get(ctx, id)
		if err == nil || errors.Is(err, ErrSessionNotFound) {
			s.sess.Put(id, cachedSession{s: ss, err: err, at: s.cfg.Now()})
		}
		return ss, err
	})
	return v.(Session), err
}

// Forget drops a user from this instance's cache (after this instance
// changed it, so that the change applies here at once).
func (s *Service) Forget(username string) {
	s.users.Remove(username)
}

func (s *Service) forgetSession(id string) {
	s.sess.Remove(id)
}

// Logout revokes the caller's session, or with all every session of the
// user (by bumping the user's token generation).
func (s *Service) Logout(ctx context.Context, p Principal, all bool) error {
	if all {
		if _, err := s.Users.Update(ctx, p.Username, func(u *User) error { u.Generation++; return nil }); err != nil {
			return err
		}
		s.Forget(p.Username)
	}
	err := s.sessions.remove(ctx, p.SessionID)
	s.forgetSession(p.SessionID)
	return err
}

// maybeGC removes expired sessions and old login-failure counters on about
// one login in 50, in the background: no scheduler is needed for it, and
// any instance may do it (deleting twice is harmless).
func (s *Service) maybeGC() {
	if rand.IntN(50) != 0 || !s.gcRunning.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.gcRunning.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.GC(ctx); err != nil {
			s.cfg.Logger.Warn("auth: cleanup of old sessions failed", "error", err)
		}
	}()
}

// GC removes expired sessions, and failure counters untouched for two
// days (older ones have nothing in their window and told their story in
// the audit log if they locked anything).
func (s *Service) GC(ctx context.Context) error {
	return errors.Join(gcDays(ctx, s.cfg.Bucket, sessionsPrefix, s.cfg.Now(), SessionMaxAge+24*time.Hour),
		s.limit.gc(ctx, 48*time.Hour))
}

// ChangePassword changes the caller's own password after checking the
// current one; every session of the user ends (this one too). Guesses of
// the current password are limited like logins, in the same counters (a
// stolen access token must not open unlimited guessing, nor make the
// server burn bcrypt time at will).
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next, ip string) (LoginResult, error) {
	if !s.limit.allowLocal(ip) {
		return LoginResult{Reason: "rate_limited_local"}, &LimitError{RetryAfter: 5 * time.Second, Scope: "local"}
	}
	g, res, err := s.reserve(ctx, p.Username, ip)
	if err != nil {
		return *res, err
	}
	usr, err := s.Users.Get(ctx, p.Username)
	if err != nil {
		return LoginResult{Reason: "error", Lockouts: res.Lockouts}, err
	}
	if s.compare(usr.PasswordHash, current) != nil {
		return LoginResult{Reason: "bad_password", Lockouts: res.Lockouts}, ErrBadCredentials
	}
	s.succeeded(ctx, g)
	if err := CheckPassword(p.Username, next); err != nil {
		return LoginResult{Reason: "weak"}, err
	}
	_, err = s.SetPassword(ctx, p.Username, next)
	return LoginResult{Reason: "ok"}, err
}

// SetPassword sets a user's password and revokes all their tokens.
func (s *Service) SetPassword(ctx context.Context, username, pw string) (User, error) {
	h, err := HashPassword(pw, s.cfg.BcryptCost)
	if err != nil {
		return User{}, err
	}
	u, err := s.Users.Update(ctx, username, func(u *User) error {
		u.PasswordHash = h
		u.PasswordChangedAt = s.cfg.Now().UTC()
		u.Generation++
		return nil
	})
	s.Forget(username)
	return u, err
}

// CreateUser validates and creates a user.
func (s *Service) CreateUser(ctx context.Context, username, password string, role Role, by string) (User, error) {
	if err := ValidUsername(username); err != nil {
		return User{}, err
	}
	if err := CheckPassword(username, password); err != nil {
		return User{}, err
	}
	h, err := HashPassword(password, s.cfg.BcryptCost)
	if err != nil {
		return User{}, err
	}
	return s.Users.Create(ctx, User{Username: username, Role: role, PasswordHash: h, CreatedBy: by})
}

// bootstrapKey records that the first admin was made (or that users
// existed already): written create-only, once, and never again.
const bootstrapKey = lake.SysPrefix + "auth/bootstrap.json"

// BootstrapRecord is the bootstrap object.
type BootstrapRecord struct {
	At   time.Time `json:"at"`
	User string    `json:"user,omitempty"`
	How  string    `json:"how"` // created, or existing_users (a store from before the record)
}

// ErrNoAdmin means a store with no user at all and no bootstrap
// credentials: nobody could ever log in.
var ErrNoAdmin = errors.New("no user in the store: set ATLHYPER_ADMIN_USER and ATLHYPER_ADMIN_PASSWORD for the first start")

// Bootstrap makes the first admin from the environment, once in the
// store's life: when _sys/auth/bootstrap.json exists it does nothing,
// whatever the environment says, so an admin deleted or renamed later is
// never brought back by a restart (a Lambda cold start is one). A store
// that has users but no record (made before the record existed) gets the
// record and no new user. A lost last admin is recovered by hand with
// Recover (the api binary's "admin" command), never by a restart.
func (s *Service) Bootstrap(ctx context.Context, username, password string) (BootstrapRecord, error) {
	if rec, ok, err := s.bootstrapped(ctx); err != nil || ok {
		if ok && username != "" {
			s.cfg.Logger.Info("auth: bootstrap done before; ATLHYPER_ADMIN_USER/PASSWORD are ignored", "at", rec.At, "user", rec.User)
		}
		return rec, err
	}
	all, err := s.Users.List(ctx)
	if err != nil {
		return BootstrapRecord{}, err
	}
	rec := BootstrapRecord{At: s.cfg.Now().UTC(), How: "existing_users"}
	if len(all) == 0 {
		if username == "" && password == "" {
			return BootstrapRecord{}, ErrNoAdmin
		}
		username = NormalizeUsername(username)
		if err := ValidUsername(username); err != nil {
			return BootstrapRecord{}, fmt.Errorf("ATLHYPER_ADMIN_USER: %w", err)
		}
		if err := CheckPassword(username, password); err != nil {
			return BootstrapRecord{}, fmt.Errorf("ATLHYPER_ADMIN_PASSWORD: %w", err)
		}
		_, err = s.CreateUser(ctx, username, password, Admin, "bootstrap")
		switch {
		case errors.Is(err, ErrUserExists): // another instance won the race
		case err != nil:
			return BootstrapRecord{}, err
		default:
			s.cfg.Logger.Info("auth: bootstrap admin created", "user", username)
		}
		rec.How, rec.User = "created", username
	}
	data, _ := json.Marshal(rec)
	if _, err := s.cfg.Bucket.Put(ctx, bootstrapKey, data, store.IfAbsent); err != nil && !store.IsPreconditionFailed(err) {
		return BootstrapRecord{}, fmt.Errorf("record bootstrap: %w", err)
	}
	rec, _, err = s.bootstrapped(ctx)
	return rec, err
}

func (s *Service) bootstrapped(ctx context.Context) (BootstrapRecord, bool, error) {
	data, _, err := s.cfg.Bucket.Get(ctx, bootstrapKey, "")
	if store.IsNotFound(err) {
		return BootstrapRecord{}, false, nil
	}
	if err != nil {
		return BootstrapRecord{}, false, fmt.Errorf("read bootstrap record: %w", err)
	}
	var rec BootstrapRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return BootstrapRecord{}, false, fmt.Errorf("bootstrap record %s is corrupt", bootstrapKey)
	}
	return rec, true, nil
}

// EnabledAdmins lists the enabled admins (for a warning at start).
func (s *Service) EnabledAdmins(ctx context.Context) ([]string, error) {
	all, err := s.Users.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range all {
		if u.Role == Admin && !u.Disabled {
			out = append(out, u.Username)
		}
	}
	return out, nil
}

// Recover is the break-glass path for a lost last admin, run by hand with
// the store's credentials (never by a request): it makes username an
// enabled admin with this password, creating the user if absent, and ends
// every session it had.
func (s *Service) Recover(ctx context.Context, username, password string) (User, bool, error) {
	username = NormalizeUsername(username)
	if err := ValidUsername(username); err != nil {
		return User{}, false, err
	}
	if err := CheckPassword(username, password); err != nil {
		return User{}, false, err
	}
	u, err := s.CreateUser(ctx, username, password, Admin, "break-glass")
	if err == nil {
		return u, true, nil
	}
	if !errors.Is(err, ErrUserExists) {
		return User{}, false, err
	}
	h, err := HashPassword(password, s.cfg.BcryptCost)
	if err != nil {
		return User{}, false, err
	}
	u, err = s.Users.Update(ctx, username, func(u *User) error {
		u.Role, u.Disabled, u.PasswordHash, u.PasswordChangedAt = Admin, false, h, s.cfg.Now().UTC()
		u.Generation++
		return nil
	})
	s.Forget(username)
	return u, false, err
}

// DeleteUser deletes a user and every session it had; its ID is retired
// with it, so its tokens never work again, even for a new user of the
// same name.
func (s *Service) DeleteUser(ctx context.Context, username string) error {
	usr, err := s.Users.Get(ctx, username)
	if err != nil {
		return err
	}
	if err := s.Users.Delete(ctx, username); err != nil {
		return err
	}
	s.Forget(username)
	if err := s.sessions.removeUser(ctx, username, usr.ID, s.cfg.Now()); err != nil {
		s.cfg.Logger.Warn("auth: sessions of a deleted user not all removed (its tokens are refused anyway)", "user", username, "error", err)
	}
	return nil
}

// BcryptCost is the cost new hashes use.
func (s *Service) BcryptCost() int { return s.cfg.BcryptCost }

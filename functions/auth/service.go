package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/singleflight"

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

	group     singleflight.Group
	gcRunning atomic.Bool
	mu        sync.Mutex
	users     map[string]cachedUser
	sess      map[string]cachedSession
}

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
		users:    map[string]cachedUser{},
		sess:     map[string]cachedSession{},
	}, nil
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

// LoginResult tells the caller (for the audit record) why a login failed.
type LoginResult struct {
	Reason string // ok, unknown_user, bad_password, disabled, rate_limited_user, rate_limited_ip, rate_limited_local
}

// Login checks a username and password and opens a session.
func (s *Service) Login(ctx context.Context, username, password, ip, userAgent string) (Tokens, LoginResult, error) {
	username = NormalizeUsername(username)
	if !s.limit.allowLocal(ip) {
		return Tokens{}, LoginResult{"rate_limited_local"}, &LimitError{RetryAfter: time.Second * 5, Scope: "local"}
	}
	now := s.cfg.Now()
	userKey := limitKey("user", username, now)
	ipKey := limitKey("ip", ipKey(ip), now)
	var userWait, ipWait time.Duration
	var userErr, ipErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); userWait, userErr = s.limit.lockedFor(ctx, userKey, s.cfg.UserLimit) }()
	go func() { defer wg.Done(); ipWait, ipErr = s.limit.lockedFor(ctx, ipKey, s.cfg.IPLimit) }()
	wg.Wait()
	if err := errors.Join(userErr, ipErr); err != nil {
		return Tokens{}, LoginResult{"error"}, err
	}
	if ipWait > 0 {
		return Tokens{}, LoginResult{"rate_limited_ip"}, &LimitError{RetryAfter: ipWait, Scope: "ip"}
	}
	if userWait > 0 {
		return Tokens{}, LoginResult{"rate_limited_user"}, &LimitError{RetryAfter: userWait, Scope: "user"}
	}

	var usr User
	var err error
	if ValidUsername(username) == nil {
		usr, err = s.Users.Get(ctx, username)
	} else {
		err = ErrUserNotFound
	}
	if err != nil && !errors.Is(err, ErrUserNotFound) {
		return Tokens{}, LoginResult{"error"}, err
	}
	reason := "ok"
	hash := usr.PasswordHash
	if errors.Is(err, ErrUserNotFound) {
		hash, reason = s.dummy, "unknown_user"
	}
	if len(password) > 1024 { // bcrypt refuses > 72 bytes anyway; don't hash megabytes
		password = password[:1024]
	}
	cmpErr := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	if reason == "ok" && cmpErr != nil {
		reason = "bad_password"
	}
	if reason == "ok" && usr.Disabled {
		reason = "disabled"
	}
	if reason != "ok" {
		wg.Add(2)
		go func() { defer wg.Done(); userErr = s.limit.fail(ctx, userKey, s.cfg.UserLimit) }()
		go func() { defer wg.Done(); ipErr = s.limit.fail(ctx, ipKey, s.cfg.IPLimit) }()
		wg.Wait()
		if err := errors.Join(userErr, ipErr); err != nil {
			s.cfg.Logger.Warn("auth: could not record login failure", "error", err)
		}
		return Tokens{}, LoginResult{reason}, ErrBadCredentials
	}
	if err := s.limit.clear(ctx, userKey); err != nil {
		s.cfg.Logger.Warn("auth: could not clear login failures", "error", err)
	}
	s.rehash(ctx, usr, password)
	s.maybeGC()
	now = now.UTC()
	ss := Session{ID: newSessionID(now), Username: username, CreatedAt: now, ExpiresAt: now.Add(SessionMaxAge),
		RefreshID: randomID(), RotatedAt: now, SourceIP: ip, UserAgent: truncate(userAgent, 200)}
	if err := s.sessions.create(ctx, ss); err != nil {
		return Tokens{}, LoginResult{"error"}, err
	}
	t, err := s.issue(usr, ss)
	return t, LoginResult{"ok"}, err
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
		Role:             usr.Role, Generation: usr.Generation, SessionID: ss.ID,
	}
	refreshExp := now.Add(RefreshTTL)
	if ss.ExpiresAt.Before(refreshExp) {
		refreshExp = ss.ExpiresAt
	}
	refresh := Claims{
		RegisteredClaims: regClaims(usr.Username, RefreshAudience, ss.RefreshID, now, refreshExp),
		Generation:       usr.Generation, SessionID: ss.ID,
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
		case ss.Revoked || ss.Username != c.Subject || !now.Before(ss.ExpiresAt):
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
	if usr.Disabled || usr.Generation != c.Generation {
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
	if usr.Disabled || usr.Generation != c.Generation {
		return Principal{}, fmt.Errorf("%w: user disabled or tokens revoked", ErrTokenInvalid)
	}
	ss, err := s.cachedSession(ctx, c.SessionID)
	if errors.Is(err, ErrSessionNotFound) {
		return Principal{}, fmt.Errorf("%w: session ended", ErrTokenInvalid)
	}
	if err != nil {
		return Principal{}, err
	}
	if ss.Revoked || ss.Username != c.Subject || !s.cfg.Now().Before(ss.ExpiresAt) {
		return Principal{}, fmt.Errorf("%w: session ended", ErrTokenInvalid)
	}
	return Principal{Username: usr.Username, Role: usr.Role, SessionID: ss.ID}, nil
}

func (s *Service) cachedUser(ctx context.Context, name string) (User, error) {
	s.mu.Lock()
	c, ok := s.users[name]
	s.mu.Unlock()
	if ok && s.cfg.Now().Sub(c.at) < CacheTTL {
		return c.u, c.err
	}
	v, err, _ := s.group.Do("u/"+name, func() (any, error) {
		u, err := s.Users.Get(ctx, name)
		if err == nil || errors.Is(err, ErrUserNotFound) {
			s.mu.Lock()
			if len(s.users) > 10_000 {
				s.users = map[string]cachedUser{}
			}
			s.users[name] = cachedUser{u: u, err: err, at: s.cfg.Now()}
			s.mu.Unlock()
		}
		return u, err
	})
	return v.(User), err
}

func (s *Service) cachedSession(ctx context.Context, id string) (Session, error) {
	s.mu.Lock()
	c, ok := s.sess[id]
	s.mu.Unlock()
	if ok && s.cfg.Now().Sub(c.at) < CacheTTL {
		return c.s, c.err
	}
	v, err, _ := s.group.Do("s/"+id, func() (any, error) {
		ss, _, err := s.sessions.get(ctx, id)
		if err == nil || errors.Is(err, ErrSessionNotFound) {
			s.mu.Lock()
			if len(s.sess) > 50_000 {
				s.sess = map[string]cachedSession{}
			}
			s.sess[id] = cachedSession{s: ss, err: err, at: s.cfg.Now()}
			s.mu.Unlock()
		}
		return ss, err
	})
	return v.(Session), err
}

// Forget drops a user from this instance's cache (after this instance
// changed it, so that the change applies here at once).
func (s *Service) Forget(username string) {
	s.mu.Lock()
	delete(s.users, username)
	s.mu.Unlock()
}

func (s *Service) forgetSession(id string) {
	s.mu.Lock()
	delete(s.sess, id)
	s.mu.Unlock()
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
		now := s.cfg.Now()
		err := errors.Join(gcDays(ctx, s.cfg.Bucket, sessionsPrefix, now, SessionMaxAge+24*time.Hour),
			gcDays(ctx, s.cfg.Bucket, limitsPrefix, now, 48*time.Hour))
		if err != nil {
			s.cfg.Logger.Warn("auth: cleanup of old sessions failed", "error", err)
		}
	}()
}

// GC removes expired sessions and old counters now (tests, operations).
func (s *Service) GC(ctx context.Context) error {
	now := s.cfg.Now()
	return errors.Join(gcDays(ctx, s.cfg.Bucket, sessionsPrefix, now, SessionMaxAge+24*time.Hour),
		gcDays(ctx, s.cfg.Bucket, limitsPrefix, now, 48*time.Hour))
}

// ChangePassword changes the caller's own password after checking the
// current one; every session of the user ends (this one too).
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string) error {
	usr, err := s.Users.Get(ctx, p.Username)
	if err != nil {
		return err
	}
	if len(current) > 1024 {
		current = current[:1024]
	}
	if bcrypt.CompareHashAndPassword([]byte(usr.PasswordHash), []byte(current)) != nil {
		return ErrBadCredentials
	}
	if err := CheckPassword(p.Username, next); err != nil {
		return err
	}
	_, err = s.SetPassword(ctx, p.Username, next)
	return err
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

// Bootstrap makes sure an admin can log in: it creates the admin from the
// environment when absent (never overwriting an existing user, so a
// password changed through the API stays changed), and re-enables and
// re-promotes that user when no enabled admin is left at all. With no
// bootstrap credentials it requires that an enabled admin exists.
func (s *Service) Bootstrap(ctx context.Context, username, password string) error {
	if username == "" && password == "" {
		all, err := s.Users.List(ctx)
		if err != nil {
			return err
		}
		for _, u := range all {
			if u.Role == Admin && !u.Disabled {
				return nil
			}
		}
		return errors.New("no enabled admin in the store: set ATLHYPER_ADMIN_USER and ATLHYPER_ADMIN_PASSWORD")
	}
	username = NormalizeUsername(username)
	if err := ValidUsername(username); err != nil {
		return fmt.Errorf("ATLHYPER_ADMIN_USER: %w", err)
	}
	if err := CheckPassword(username, password); err != nil {
		return fmt.Errorf("ATLHYPER_ADMIN_PASSWORD: %w", err)
	}
	_, err := s.Users.Get(ctx, username)
	switch {
	case errors.Is(err, ErrUserNotFound):
		_, err = s.CreateUser(ctx, username, password, Admin, "bootstrap")
		if errors.Is(err, ErrUserExists) {
			return nil // another instance won the race
		}
		if err == nil {
			s.cfg.Logger.Info("auth: bootstrap admin created", "user", username)
		}
		return err
	case err != nil:
		return err
	}
	all, err := s.Users.List(ctx)
	if err != nil {
		return err
	}
	for _, u := range all {
		if u.Role == Admin && !u.Disabled {
			return nil
		}
	}
	_, err = s.Users.Update(ctx, username, func(u *User) error { u.Role, u.Disabled = Admin, false; return nil })
	if err == nil {
		s.cfg.Logger.Warn("auth: no enabled admin was left; bootstrap admin restored", "user", username)
	}
	return err
}

// BcryptCost is the cost new hashes use.
func (s *Service) BcryptCost() int { return s.cfg.BcryptCost }

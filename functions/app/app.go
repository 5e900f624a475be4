// Package app wires the API's parts together from one configuration: the
// store, the query engine, the read view, auth, audit and the router. The
// local server, the Lambda, the tests and the benchmark all start the API
// through it, so they run the same thing.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/atlhyper/atlhyper/functions/adhoc"
	"github.com/atlhyper/atlhyper/functions/api"
	"github.com/atlhyper/atlhyper/functions/audit"
	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/functions/usage"
	"github.com/atlhyper/atlhyper/internal/lru"
	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/store"
)

// Config is everything the API needs.
type Config struct {
	StoreURL string
	Bucket   store.Bucket // instead of StoreURL (tests)

	CacheDir    string
	CacheBytes  int64
	MemoryLimit string // DuckDB syntax, e.g. "1GB"
	Threads     int
	SQLTimeout  time.Duration
	// SQLMaxBytes caps one SQL result as sent (default adhoc.DefaultMaxBytes).
	SQLMaxBytes int64
	// Bounds of the in-memory caches (zero: the packages' defaults,
	// query.Config and lakeview.Config); tests set small ones.
	ListedObjects, InputNames int
	StateCacheBytes           int64
	MemoBytes                 int64

	JWTSecret, JWTPreviousSecret string
	AdminUser, AdminPassword     string
	BcryptCost                   int
	// LoginRate and LoginBurst are the per-instance, per-IP token bucket
	// in front of the store-backed login limits (default 2/s, burst 10).
	LoginRate  float64
	LoginBurst int

	// UserRate, UserBurst and UserReconstructions are the per-user limits
	// of each instance (api.Config; defaults there).
	UserRate            float64
	UserBurst           int
	UserReconstructions int

	// CommandSigningKey signs remote operations: "<key id>=<base64
	// Ed25519 seed>" (`api command-key` makes one). Empty turns remote
	// operations off.
	CommandSigningKey string

	CORSOrigins []string
	TrustProxy  bool
	Version     string
	Logger      *slog.Logger
	Now         func() time.Time
}

// Flags declares the API's settings on fs, the same for the local server
// and the Lambda; parsed with cli.Parse, each is also ATLHYPER_<FLAG>
// (the Lambda has only the environment). Secrets are not flags: FromEnv.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.StoreURL, "store", c.StoreURL, "store URL: file:///path or s3://bucket/prefix?endpoint=host:port&insecure=true")
	fs.StringVar(&c.CacheDir, "cache-dir", c.CacheDir, "local cache of lake objects (default $TMPDIR/atlhyper-cache)")
	fs.Int64Var(&c.CacheBytes, "cache-bytes", c.CacheBytes, "size of the local cache in bytes (default 1 GiB)")
	fs.StringVar(&c.MemoryLimit, "query-memory", c.MemoryLimit, "DuckDB memory limit, e.g. 1GB")
	fs.Func("cors-origins", "browser origins allowed to call the API (comma-separated; repeatable)", func(v string) error {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORSOrigins = append(c.CORSOrigins, o)
			}
		}
		return nil
	})
	fs.Int64Var(&c.StateCacheBytes, "state-cache-bytes", c.StateCacheBytes, "memory for reconstructed states, in bytes (default 512 MiB)")
	fs.Int64Var(&c.MemoBytes, "memo-bytes", c.MemoBytes, "memory for memoised answers (trends, diffs, timelines), in bytes of JSON (default 64 MiB)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", c.TrustProxy, "take the client address from X-Forwarded-For (only behind one trusted proxy)")
	// A secret, but also a flag so that internal/cli maps it to
	// ATLHYPER_COMMAND_SIGNING_KEY: give it through the environment, where
	// other users of the machine cannot read it (a command line they can).
	fs.StringVar(&c.CommandSigningKey, "command-signing-key", c.CommandSigningKey,
		"key that signs remote operations, <key id>=<base64 seed> (make one with `api command-key`; prefer ATLHYPER_COMMAND_SIGNING_KEY)")
	fs.IntVar(&c.BcryptCost, "bcrypt-cost", c.BcryptCost, "bcrypt cost of new password hashes (default: the auth package's)")
}

// FromEnv reads what never goes on a command line: the JWT secrets and
// the first admin's credentials (ATLHYPER_JWT_SECRET,
// ATLHYPER_JWT_SECRET_PREVIOUS, ATLHYPER_ADMIN_USER,
// ATLHYPER_ADMIN_PASSWORD), and the version label ATLHYPER_VERSION set at
// deployment.
func FromEnv() Config {
	return Config{
		JWTSecret:         os.Getenv("ATLHYPER_JWT_SECRET"),
		JWTPreviousSecret: os.Getenv("ATLHYPER_JWT_SECRET_PREVIOUS"),
		AdminUser:         os.Getenv("ATLHYPER_ADMIN_USER"),
		AdminPassword:     os.Getenv("ATLHYPER_ADMIN_PASSWORD"),
		Version:           os.Getenv("ATLHYPER_VERSION"),
	}
}

// App is a running API.
type App struct {
	Server *api.Server
	Engine *query.Engine
	View   *lakeview.View
	Auth   *auth.Service
	// Bucket is the store every part uses, wrapped in Meter so that the
	// instance's own requests show in self-monitoring.
	Bucket store.Bucket
	Meter  *store.Metered
	Usage  *usage.Reporter
}

// Handler is the HTTP handler.
func (a *App) Handler() http.Handler { return a.Server }

// MemoryCaches reports every in-memory cache of the instance against its
// bound, by name (engine.listings, engine.inputs, lakeview.states,
// lakeview.memo, auth.users, auth.sessions, auth.addresses,
// usage.objects, api.user_limits): what a long-running process keeps besides DuckDB's own
// memory, which query-memory caps.
func (a *App) MemoryCaches() map[string]lru.Stats {
	m := map[string]lru.Stats{}
	m["engine.listings"], m["engine.inputs"] = a.Engine.MemoryCaches()
	m["lakeview.states"], m["lakeview.memo"] = a.View.MemoryCaches()
	m["auth.users"], m["auth.sessions"], m["auth.addresses"] = a.Auth.MemoryCaches()
	m["usage.objects"] = a.Usage.MemoryCache()
	m["api.user_limits"] = a.Server.MemoryCache()
	return m
}

// Close releases the engine.
func (a *App) Close() error { return a.Engine.Close() }

// Open checks the configuration, makes sure an admin exists, and builds
// the API. It refuses weak secrets and passwords.
func Open(ctx context.Context, c Config) (*App, error) {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if err := auth.CheckSecret(c.JWTSecret); err != nil {
		return nil, err
	}
	if (c.AdminUser == "") != (c.AdminPassword == "") {
		return nil, errors.New("set both ATLHYPER_ADMIN_USER and ATLHYPER_ADMIN_PASSWORD, or neither")
	}
	if c.AdminPassword != "" {
		if err := auth.CheckPassword(auth.NormalizeUsername(c.AdminUser), c.AdminPassword); err != nil {
			return nil, fmt.Errorf("ATLHYPER_ADMIN_PASSWORD: %w", err)
		}
		if c.AdminPassword == c.JWTSecret {
			return nil, errors.New("ATLHYPER_ADMIN_PASSWORD must differ from ATLHYPER_JWT_SECRET")
		}
	}
	var signer *control.Signer
	if c.CommandSigningKey != "" {
		sg, err := control.ParseSigner(c.CommandSigningKey)
		if err != nil {
			return nil, err
		}
		signer = &sg
		// The public half is what agents need (--command-public-keys).
		c.Logger.Info("remote operations on", "command_public_key", sg.PublicKey())
	} else {
		c.Logger.Info("remote operations off: no command signing key (ATLHYPER_COMMAND_SIGNING_KEY)")
	}
	b := c.Bucket
	if b == nil {
		if c.StoreURL == "" {
			return nil, errors.New("no store: set --store or ATLHYPER_STORE (file:///path or s3://bucket/prefix?endpoint=…)")
		}
		var err error
		if b, err = store.Open(ctx, c.StoreURL); err != nil {
			return nil, err
		}
	}
	// Everything below reaches the store through the meter.
	metered := store.NewMetered(b)
	b = metered
	meter := usage.NewMeter(metered, c.Now())
	if c.CacheDir == "" {
		c.CacheDir = filepath.Join(os.TempDir(), "atlhyper-cache")
	}
	if c.SQLTimeout <= 0 {
		c.SQLTimeout = adhoc.DefaultTimeout
	}
	authSvc, err := auth.New(auth.Config{Bucket: b, Secret: c.JWTSecret, PreviousSecret: c.JWTPreviousSecret, BcryptCost: c.BcryptCost,
		LocalRate: c.LoginRate, LocalBurst: c.LoginBurst, Logger: c.Logger, Now: c.Now})
	if err != nil {
		return nil, err
	}
	if _, err := authSvc.Bootstrap(ctx, c.AdminUser, c.AdminPassword); err != nil {
		return nil, fmt.Errorf("bootstrap admin: %w", err)
	}
	if admins, err := authSvc.EnabledAdmins(ctx); err == nil && len(admins) == 0 {
		c.Logger.Warn("no enabled admin in the store: recover one with `api admin --user NAME` (docs/api.md, Break-glass)")
	}
	// Users' SQL runs on the engine's sandbox instance, which can open the
	// files of the tables a viewer may read and nothing else.
	e, err := query.Open(ctx, query.Config{Bucket: b, CacheDir: c.CacheDir, CacheBytes: c.CacheBytes, MemoryLimit: c.MemoryLimit,
		Threads: c.Threads, Timeout: 30 * time.Second, Tails: true, MaxListedObjects: c.ListedObjects, MaxInputNames: c.InputNames, SandboxTables: adhoc.Tables(false), Setup: adhoc.Setup,
		Logger: c.Logger, Now: c.Now})
	if err != nil {
		return nil, err
	}
	view, err := lakeview.New(lakeview.Config{Bucket: b, Engine: e, StateCacheBytes: c.StateCacheBytes, MemoBytes: c.MemoBytes,
		Logger: c.Logger, Now: c.Now})
	if err != nil {
		e.Close()
		return nil, err
	}
	rec, err := audit.New(b, c.Logger, c.Now)
	if err != nil {
		e.Close()
		return nil, err
	}
	rep, err := usage.New(usage.Config{Bucket: b, Meter: meter, Fleet: view, Logger: c.Logger, Now: c.Now})
	if err != nil {
		e.Close()
		return nil, err
	}
	srv, err := api.New(api.Config{Auth: authSvc, View: view, SQL: adhoc.NewRunner(e, c.SQLTimeout, c.SQLMaxBytes), Audit: rec, Usage: rep, Bucket: b, CommandSigner: signer,
		CORSOrigins: c.CORSOrigins, TrustProxy: c.TrustProxy, UserRate: c.UserRate, UserBurst: c.UserBurst, UserReconstructions: c.UserReconstructions,
		Version: c.Version, Logger: c.Logger, Now: c.Now})
	if err != nil {
		e.Close()
		return nil, err
	}
	return &App{Server: srv, Engine: e, View: view, Auth: authSvc, Bucket: b, Meter: metered, Usage: rep}, nil
}

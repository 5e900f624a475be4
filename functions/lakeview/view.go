package lakeview

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/atlhyper/atlhyper/internal/lru"
	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Config configures a View.
type Config struct {
	Bucket store.Bucket
	Engine *query.Engine
	// StateCacheBytes bounds the reconstructed states kept in memory
	// (default 512 MiB).
	StateCacheBytes int64
	// MemoBytes bounds the memoised answers, by their size as JSON
	// (default 64 MiB).
	MemoBytes int64
	// CurrentTTL is how long a current-state or heartbeat object is served
	// without revalidation (default 2 s); ClusterListTTL how long the list
	// of clusters is (default 30 s).
	CurrentTTL, ClusterListTTL time.Duration
	// OnlineWithin: a cluster whose heartbeat is older is offline
	// (default 3 heartbeat intervals, at least 90 s).
	OnlineWithin time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
}

// View is the read side of the API.
type View struct {
	cfg    Config
	e      *query.Engine
	states *stateCache
	memo   *memo
	fleet  *fleet
}

// New returns a view.
func New(cfg Config) (*View, error) {
	if cfg.Bucket == nil || cfg.Engine == nil {
		return nil, errors.New("lakeview: bucket and engine are required")
	}
	if cfg.StateCacheBytes <= 0 {
		cfg.StateCacheBytes = 512 << 20
	}
	if cfg.MemoBytes <= 0 {
		cfg.MemoBytes = 64 << 20
	}
	if cfg.CurrentTTL <= 0 {
		cfg.CurrentTTL = 2 * time.Second
	}
	if cfg.ClusterListTTL <= 0 {
		cfg.ClusterListTTL = 30 * time.Second
	}
	if cfg.OnlineWithin <= 0 {
		cfg.OnlineWithin = 90 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &View{cfg: cfg, e: cfg.Engine, states: newStateCache(cfg.StateCacheBytes), memo: newMemo(cfg.MemoBytes)}
	v.fleet = newFleet(v)
	return v, nil
}

// MemoryCaches reports the view's in-memory caches against their bounds:
// the reconstructed states (cost: estimated bytes) and the memoised
// answers (cost: bytes as JSON).
func (v *View) MemoryCaches() (states, memo lru.Stats) {
	return v.states.cache.Stats(), v.memo.cache.Stats()
}

// Engine is the query engine the view runs on.
func (v *View) Engine() *query.Engine { return v.e }

// ErrNotFound marks an unknown cluster or object.
var ErrNotFound = errors.New("not found")

// query runs sql over scopes and reads every row.
func (v *View) query(ctx context.Context, scopes []query.Scope, q string, args ...any) (Result, error) {
	var res Result
	err := v.e.Query(ctx, query.Request{Scopes: scopes, SQL: q, Args: args}, func(rows *sql.Rows) error {
		var err error
		res, _, err = ReadAll(rows, 0)
		return err
	})
	return res, err
}

func scope(table string, clusters []string, from, to time.Time) query.Scope {
	return query.Scope{Table: table, Clusters: clusters, From: from, To: to}
}

// checkCluster answers ErrNotFound for a cluster that never registered.
func (v *View) checkCluster(ctx context.Context, id string) error {
	if err := lake.ValidCluster(id); err != nil || id == lake.GlobalCluster {
		return fmt.Errorf("cluster %q: %w", id, ErrNotFound)
	}
	ok, err := v.fleet.known(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("cluster %q: %w", id, ErrNotFound)
	}
	return nil
}

// CheckCluster is checkCluster for callers outside the package.
func (v *View) CheckCluster(ctx context.Context, id string) error { return v.checkCluster(ctx, id) }

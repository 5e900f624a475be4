// Package query is AtlHyper's stateless query path: DuckDB over the lake.
//
// Given the tables, clusters and time range a query needs, the engine
// computes the partitions from keys (no LIST of the whole bucket), lists
// only those, applies the compaction commit rule (lake.Visible), fetches the
// visible objects through a local read-through cache and runs the SQL
// against one view per table. It holds caches only; any number of engines
// can run side by side, and killing one loses nothing.
//
// The DuckDB instance is sandboxed: it can read nothing outside the cache
// directory, install or load no extension, and its configuration is locked.
// Requests marked Sandboxed run on a second instance that can read only the
// cache directories of Config.SandboxTables (users' own SQL: the admin-only
// audit log's files cannot even be opened from it).
package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/atlhyper/atlhyper/internal/lru"
	"github.com/atlhyper/atlhyper/query/cache"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Config configures an Engine.
type Config struct {
	Bucket     store.Bucket
	CacheDir   string // default: $TMPDIR/atlhyper-cache (/tmp on Lambda)
	CacheBytes int64  // default 1 GiB
	// MemoryLimit bounds DuckDB's memory (DuckDB syntax, default "1GB");
	// Threads its worker threads (default: number of CPUs).
	MemoryLimit string
	Threads     int
	// Timeout applies to queries whose context has no deadline (default 30 s).
	Timeout time.Duration
	// RecentListTTL is how long a listing of a partition of the last two
	// days is reused (default 15 s); older partitions change only by
	// compaction and retention and are reused for OldListTTL (default 2 min).
	RecentListTTL, OldListTTL time.Duration
	// FetchConcurrency bounds parallel object fetches (default 16).
	FetchConcurrency int
	// MaxListedObjects bounds the objects the partition listings keep in
	// memory (default 100,000, ~20 MB); MaxInputNames the input names of
	// compacted objects read from their footers (default 100,000). Least
	// recently used go first: a long-running API or scheduler that
	// touches ever more days stays within them.
	MaxListedObjects, MaxInputNames int
	// Tails adds watched clusters' tail objects to scopes that reach into
	// the last TailReach (default 3 h), each revalidated with a
	// conditional GET after TailTTL (default 1 s) and ignored once older
	// than TailMaxAge (default 3 min). See tail.go.
	Tails                          bool
	TailTTL, TailReach, TailMaxAge time.Duration
	// SandboxTables are the only tables a Sandboxed request may scope; the
	// sandbox instance's allowed directories are exactly their directories
	// in the cache. Empty: Sandboxed requests are refused.
	SandboxTables []string
	// Setup runs once on each DuckDB instance the engine opens, before its
	// configuration is locked (to register functions).
	Setup  func(ctx context.Context, conn *sql.Conn) error
	Logger *slog.Logger
	Now    func() time.Time
}

// Engine runs queries over the lake.
type Engine struct {
	cfg     Config
	cache   *cache.Cache
	db      *sql.DB
	schemas map[string]string // table -> zero-row file with the current schema

	sandboxMu sync.Mutex
	sandbox   *sql.DB // opened on the first Sandboxed request

	lists  *lru.Cache[string, listing]  // partition prefix -> listing
	inputs *lru.Cache[string, []string] // compacted object key -> input names

	trimmed atomic.Int64 // unix nanoseconds of the last malloc_trim

	mu        sync.Mutex
	tails     map[string]*tail // cluster -> its tail as last read (one per cluster)
	tailGroup singleflight.Group
}

type listing struct {
	objs []lake.Stored
	at   time.Time
}

// Scope selects the rows of one table a query may read: the given clusters
// (at least one) and times in [From, To).
type Scope struct {
	Table    string
	Clusters []string
	From, To time.Time
}

// Request is one query: views for the scopes, then the SQL.
type Request struct {
	Scopes []Scope
	SQL    string
	Args   []any
	// Sandboxed runs the query on the sandbox instance (Config.SandboxTables).
	Sandboxed bool
	// Check, if set, runs on the query's connection once the views exist,
	// before SQL; files are every file the views read. An error stops the
	// query and is returned as is.
	Check func(ctx context.Context, conn *sql.Conn, files []string) error
}

// ErrBadRequest marks a request the engine refuses before running it.
var ErrBadRequest = errors.New("bad query request")

// Open starts an engine.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Bucket == nil {
		return nil, errors.New("query: no bucket")
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(os.TempDir(), "atlhyper-cache")
	}
	if cfg.MemoryLimit == "" {
		cfg.MemoryLimit = "1GB"
	}
	if cfg.Threads <= 0 {
		cfg.Threads = runtime.NumCPU()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.RecentListTTL <= 0 {
		cfg.RecentListTTL = 15 * time.Second
	}
	if cfg.OldListTTL <= 0 {
		cfg.OldListTTL = 2 * time.Minute
	}
	if cfg.FetchConcurrency <= 0 {
		cfg.FetchConcurrency = 16
	}
	if cfg.MaxListedObjects <= 0 {
		cfg.MaxListedObjects = 100_000
	}
	if cfg.MaxInputNames <= 0 {
		cfg.MaxInputNames = 100_000
	}
	if cfg.TailTTL <= 0 {
		cfg.TailTTL = time.Second
	}
	if cfg.TailReach <= 0 {
		cfg.TailReach = 3 * time.Hour
	}
	if cfg.TailMaxAge <= 0 {
		cfg.TailMaxAge = 3 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	dir, err := filepath.Abs(cfg.CacheDir)
	if err != nil {
		return nil, err
	}
	c, err := cache.New(cfg.Bucket, cache.Options{Dir: dir, MaxBytes: cfg.CacheBytes, Validate: validateObject})
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, cache: c, schemas: map[string]string{}, tails: map[string]*tail{},
		lists:  lru.New[string, listing](int64(cfg.MaxListedObjects), func(l listing) int64 { return int64(len(l.objs)) + 1 }),
		inputs: lru.New[string, []string](int64(cfg.MaxInputNames), func(in []string) int64 { return int64(len(in)) + 1 })}
	if err := e.writeSchemas(); err != nil {
		return nil, err
	}
	if e.db, err = openDuckDB(ctx, filepath.Join(dir, "duckdb-tmp"), []string{dir + string(filepath.Separator)}, cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// sandboxDB returns the sandbox instance, opening it on first use.
func (e *Engine) sandboxDB(ctx context.Context) (*sql.DB, error) {
	e.sandboxMu.Lock()
	defer e.sandboxMu.Unlock()
	if e.sandbox != nil {
		return e.sandbox, nil
	}
	if len(e.cfg.SandboxTables) == 0 {
		return nil, fmt.Errorf("%w: no sandbox tables configured", ErrBadRequest)
	}
	var dirs []string
	for _, t := range e.cfg.SandboxTables {
		if _, ok := lake.Lookup(t); !ok {
			return nil, fmt.Errorf("%w: sandbox table %q is not a lake table", ErrBadRequest, t)
		}
		sep := string(filepath.Separator)
		dirs = append(dirs, e.cache.PrefixDir(t+"/")+sep, e.cache.PrefixDir(tailPrefix+t+"/")+sep,
			filepath.Join(e.cache.Dir(), "schema", t)+sep)
	}
	db, err := openDuckDB(ctx, filepath.Join(e.cache.Dir(), "duckdb-tmp-sandbox"), dirs, e.cfg)
	if err != nil {
		return nil, err
	}
	e.sandbox = db
	return db, nil
}

// validateObject rejects a fetched file that is not a readable lake object.
func validateObject(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = lake.ReadMeta(f)
	return err
}

// writeSchemas writes one zero-row object per table: unioned into every
// view, it guarantees every current column exists with its current type.
func (e *Engine) writeSchemas() error {
	for _, t := range lake.All() {
		path := filepath.Join(e.cache.Dir(), "schema", t.Name(), fmt.Sprintf("v%d", t.Version()), "cluster=_schema", "date=1970-01-01", "empty.parquet")
		if _, err := os.Stat(path); err != nil {
			data, err := t.Empty()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			tmp := path + fmt.Sprintf(".%d.tmp", os.Getpid())
			if err := os.WriteFile(tmp, data, 0o644); err != nil {
				return err
			}
			if err := os.Rename(tmp, path); err != nil {
				return err
			}
		}
		e.schemas[t.Name()] = path
	}
	return nil
}

// openDuckDB opens an instance that can read only below allowed and spills
// to tmp (each instance needs its own).
func openDuckDB(ctx context.Context, tmp string, allowed []string, cfg Config) (*sql.DB, error) {
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	// Extension auto-loading must be off before anything runs: nothing can
	// be downloaded here, and a failed attempt costs a second.
	limitMallocArenas()
	conn, err := duckdb.NewConnector("?autoinstall_known_extensions=false&autoload_known_extensions=false", nil)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(max(4, cfg.Threads*2))
	db.SetMaxIdleConns(max(4, cfg.Threads*2))
	settings := []string{
		fmt.Sprintf("SET memory_limit = %s", quote(cfg.MemoryLimit)),
		fmt.Sprintf("SET threads = %d", cfg.Threads),
		fmt.Sprintf("SET temp_directory = %s", quote(tmp)),
		"SET max_temp_directory_size = '4GB'",
		"SET TimeZone = 'UTC'",
		// Memory that stays flat in a process that runs for months
		// (TestLongRunCachesStayBounded, scripts/bench api-longrun). Every
		// file read is the engine's own local cache, which the OS page
		// cache already keeps: DuckDB's external file cache would keep a
		// copy of every block read, and its Parquet metadata cache every
		// footer read, both in the buffer pool until memory_limit: with
		// new objects every hour, a long-running API grew every simulated
		// day. Footers are a few KB read from local disk.
		"SET enable_external_file_cache = false",
		"SET parquet_metadata_cache = false",
		// DuckDB allocates through jemalloc: background threads return
		// freed pages to the OS instead of keeping them for reuse.
		"SET allocator_background_threads = true",
		"SET allow_community_extensions = false",
		"SET allow_persistent_secrets = false",
	}
	// The sandbox: only the allowed directories are readable, nothing is
	// writable, and the configuration cannot be changed afterwards.
	quoted := make([]string, len(allowed))
	for i, d := range allowed {
		quoted[i] = quote(d)
	}
	settings = append(settings, fmt.Sprintf("SET allowed_directories = [%s]", strings.Join(quoted, ", ")),
		"SET enable_external_access = false", "SET lock_configuration = true")
	if cfg.Setup != nil {
		conn, err := db.Conn(ctx)
		if err == nil {
			err = cfg.Setup(ctx, conn)
			conn.Close()
		}
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("duckdb setup: %w", err)
		}
	}
	for _, s := range settings {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, fmt.Errorf("duckdb %q: %w", s, err)
		}
	}
	return db, nil
}

// Close releases DuckDB.
func (e *Engine) Close() error {
	e.sandboxMu.Lock()
	defer e.sandboxMu.Unlock()
	var err error
	if e.sandbox != nil {
		err = e.sandbox.Close()
	}
	return errors.Join(e.db.Close(), err)
}

// CacheDir is the local cache's directory.
func (e *Engine) CacheDir() string { return e.cache.Dir() }

// CacheStats reports the local cache's counters.
func (e *Engine) CacheStats() cache.Stats { return e.cache.Stats() }

// MemoryCaches reports the in-memory caches against their bounds: the
// partition listings (cost: objects) and compacted objects' inputs (cost:
// names).
func (e *Engine) MemoryCaches() (listings, inputs lru.Stats) {
	return e.lists.Stats(), e.inputs.Stats()
}

// DuckDBMemory is the memory DuckDB's buffer manager accounts for, in
// bytes, summed over the engine's instances (duckdb_memory(): buffers,
// caches, spilled data kept in memory); it excludes what the instances
// allocate outside it (catalog, per-query state).
func (e *Engine) DuckDBMemory(ctx context.Context) (int64, error) {
	dbs := []*sql.DB{e.db}
	e.sandboxMu.Lock()
	if e.sandbox != nil {
		dbs = append(dbs, e.sandbox)
	}
	e.sandboxMu.Unlock()
	var total int64
	for _, db := range dbs {
		var n sql.NullInt64
		if err := db.QueryRowContext(ctx, "SELECT sum(memory_usage_bytes)::BIGINT FROM duckdb_memory()").Scan(&n); err != nil {
			return 0, fmt.Errorf("duckdb_memory: %w", err)
		}
		total += n.Int64
	}
	return total, nil
}

// Query runs req and calls fn with the result rows while the views exist.
// Errors are classified: store.ErrUnavailable (retry later), lake.ErrCorrupt
// (names the object), ErrBadRequest, context errors (timeout).
func (e *Engine) Query(ctx context.Context, req Request, fn func(*sql.Rows) error) error {
	defer e.trim()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.cfg.Timeout)
		defer cancel()
	}
	for attempt := 0; ; attempt++ {
		err := e.query(ctx, req, fn, attempt > 0)
		// An object deleted since we listed it (compaction, retention,
		// another process's cache eviction): list afresh once.
		if err != nil && attempt == 0 && (store.IsNotFound(err) || isMissingFile(err)) && ctx.Err() == nil {
			e.cfg.Logger.Debug("query: object vanished, listing again", "error", err)
			continue
		}
		return err
	}
}

// trimEvery is how often, at most, a finished query returns glibc
// malloc's free pages to the OS.
const trimEvery = 10 * time.Second

// trim returns glibc malloc's free pages to the OS (malloc_trim) at most
// every trimEvery. DuckDB's allocations outside jemalloc (per-query state,
// file lists) go through glibc, whose arenas keep what queries freed:
// without this a long-running API's RSS creeps up by the holes between
// live allocations. One trim walks the arenas' free lists (a millisecond
// or so), off the query's path.
func (e *Engine) trim() {
	now := time.Now().UnixNano()
	last := e.trimmed.Load()
	if now-last < int64(trimEvery) || !e.trimmed.CompareAndSwap(last, now) {
		return
	}
	go MallocTrim()
}

func isMissingFile(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "No files found") || strings.Contains(msg, "No such file")
}

func (e *Engine) query(ctx context.Context, req Request, fn func(*sql.Rows) error, fresh bool) error {
	db := e.db
	if req.Sandboxed {
		for _, s := range req.Scopes {
			if !slices.Contains(e.cfg.SandboxTables, s.Table) {
				return fmt.Errorf("%w: table %q is not readable in the sandbox", ErrBadRequest, s.Table)
			}
		}
		var err error
		if db, err = e.sandboxDB(ctx); err != nil {
			return err
		}
	}
	views, release, err := e.prepare(ctx, req.Scopes, fresh)
	if err != nil {
		return err
	}
	defer release()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("duckdb conn: %w", err)
	}
	defer conn.Close()
	created := make([]string, 0, len(views))
	defer func() {
		// Views are per connection and connections are pooled: drop them
		// so no later query sees this one's scope.
		for _, name := range created {
			conn.ExecContext(context.Background(), "DROP VIEW IF EXISTS "+name)
		}
	}()
	for _, v := range views {
		if _, err := conn.ExecContext(ctx, v.sql); err != nil {
			return fmt.Errorf("create view %s: %w", v.name, err)
		}
		created = append(created, v.name)
	}
	if req.Check != nil {
		var files []string
		for _, v := range views {
			files = append(files, v.files...)
		}
		if err := req.Check(ctx, conn, files); err != nil {
			return err
		}
	}
	rows, err := conn.QueryContext(ctx, req.SQL, req.Args...)
	if err != nil {
		return e.classify(ctx, err)
	}
	defer rows.Close()
	if err := fn(rows); err != nil {
		return e.classify(ctx, err)
	}
	return e.classify(ctx, rows.Err())
}

func (e *Engine) classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	return err
}

type view struct {
	name, sql string
	files     []string
}

// prepare resolves and fetches every scope and returns view definitions
// and a function that unpins the fetched files.
func (e *Engine) prepare(ctx context.Context, scopes []Scope, fresh bool) ([]view, func(), error) {
	var releases []func()
	release := func() {
		for _, r := range releases {
			r()
		}
	}
	seen := map[string]bool{}
	var views []view
	for _, s := range scopes {
		t, ok := lake.Lookup(s.Table)
		if !ok {
			release()
			return nil, nil, fmt.Errorf("%w: unknown table %q", ErrBadRequest, s.Table)
		}
		if seen[s.Table] {
			release()
			return nil, nil, fmt.Errorf("%w: table %q scoped twice", ErrBadRequest, s.Table)
		}
		seen[s.Table] = true
		if !s.From.Before(s.To) {
			release()
			return nil, nil, fmt.Errorf("%w: %s: empty time range %s..%s", ErrBadRequest, s.Table, s.From, s.To)
		}
		paths, rel, err := e.fetchScope(ctx, s, fresh)
		releases = append(releases, rel...)
		if err != nil {
			release()
			return nil, nil, err
		}
		files := append([]string{e.schemas[t.Name()]}, paths...)
		views = append(views, view{name: t.Name(), sql: viewSQL(t.Name(), files, s.From, s.To), files: files})
	}
	return views, release, nil
}

// viewSQL is the view of one table: its files, with Hive columns typed
// explicitly (a cluster id like "123" must stay VARCHAR), restricted to the
// scope's time range.
func viewSQL(name string, paths []string, from, to time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE OR REPLACE TEMP VIEW %s AS SELECT * FROM read_parquet([", name)
	for i, p := range paths {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(p))
	}
	fmt.Fprintf(&b, "], hive_partitioning = true, hive_types = {'cluster': VARCHAR, 'date': DATE}, union_by_name = true) WHERE ts >= %s AND ts < %s",
		tsLiteral(from), tsLiteral(to))
	return b.String()
}

func tsLiteral(t time.Time) string {
	return "TIMESTAMP '" + t.UTC().Format("2006-01-02 15:04:05.999999") + "'"
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Files resolves a scope to the objects it reads (no download): visible
// lake objects and tail parts, whose keys start with "_tail/" and whose
// ETag is their tail's.
func (e *Engine) Files(ctx context.Context, s Scope) ([]lake.Stored, error) {
	var out []lake.Stored
	for _, cluster := range s.Clusters {
		for _, day := range lake.Days(s.From, s.To) {
			srcs, err := e.partition(ctx, s.Table, cluster, day, s.From, s.To, false)
			if err != nil {
				return nil, err
			}
			for _, src := range srcs {
				out = append(out, src.Stored)
			}
		}
	}
	return out, nil
}

func (e *Engine) fetchScope(ctx context.Context, s Scope, fresh bool) ([]string, []func(), error) {
	if len(s.Clusters) == 0 {
		return nil, nil, fmt.Errorf("%w: %s: no cluster", ErrBadRequest, s.Table)
	}
	var objs []source
	for _, cluster := range s.Clusters {
		if err := lake.ValidCluster(cluster); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		for _, day := range lake.Days(s.From, s.To) {
			v, err := e.partition(ctx, s.Table, cluster, day, s.From, s.To, fresh)
			if err != nil {
				return nil, nil, err
			}
			objs = append(objs, v...)
		}
	}
	paths := make([]string, len(objs))
	releases := make([]func(), len(objs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.cfg.FetchConcurrency)
	for i, o := range objs {
		g.Go(func() error {
			fetch := e.cache.Fetch
			if o.data != nil {
				fetch = func(context.Context, store.Info) (string, func(), error) {
					return e.cache.Put(o.Info.Key, o.Info.ETag, o.data)
				}
			}
			p, rel, err := fetch(gctx, o.Info)
			if err != nil {
				return err
			}
			paths[i], releases[i] = p, rel
			return nil
		})
	}
	err := g.Wait()
	var rels []func()
	for _, r := range releases {
		if r != nil {
			rels = append(rels, r)
		}
	}
	if err != nil {
		return nil, rels, err
	}
	return paths, rels, nil
}

// visible lists one partition (through the listing cache) and returns the
// objects a reader must read for [from, to).
func (e *Engine) visible(ctx context.Context, table, cluster string, day, from, to time.Time, fresh, tailed bool) ([]lake.Stored, error) {
	objs, err := e.list(ctx, table, cluster, day, fresh, tailed)
	if err != nil {
		return nil, err
	}
	// A compacted object's inputs lie within its own span, so only objects
	// overlapping the range can hide each other.
	return lake.Visible(lake.Overlapping(objs, from, to), func(o lake.Stored) ([]string, error) {
		return e.inputsOf(ctx, o)
	})
}

// tailed says the cluster has a tail naming the objects its writer stored
// lately (TailManifest.Recent, the last five minutes): partition() lists
// again when a listing misses one of them, so a recent partition's listing
// is kept as long as an old one's — a watched cluster's dashboard then
// lists each partition every OldListTTL, not at every refresh.
func (e *Engine) list(ctx context.Context, table, cluster string, day time.Time, fresh, tailed bool) ([]lake.Stored, error) {
	prefix := lake.PartitionPrefix(table, cluster, day)
	ttl := e.cfg.OldListTTL
	if e.cfg.Now().Sub(day) < 72*time.Hour && !tailed {
		ttl = e.cfg.RecentListTTL
	}
	l, ok := e.lists.Get(prefix)
	if ok && !fresh && e.cfg.Now().Sub(l.at) < ttl {
		return l.objs, nil
	}
	objs, err := lake.ListPartition(ctx, e.cfg.Bucket, table, cluster, day)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	e.lists.Put(prefix, listing{objs: objs, at: e.cfg.Now()})
	return objs, nil
}

// inputsOf reads a compacted object's inputs from its footer, once.
func (e *Engine) inputsOf(ctx context.Context, o lake.Stored) ([]string, error) {
	if in, ok := e.inputs.Get(o.Info.Key); ok {
		return in, nil
	}
	path, release, err := e.cache.Fetch(ctx, o.Info)
	if err != nil {
		return nil, err
	}
	defer release()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	meta, err := lake.ReadMeta(f)
	if err != nil {
		return nil, fmt.Errorf("object %s: %w", o.Info.Key, err)
	}
	e.inputs.Put(o.Info.Key, meta.Inputs)
	return meta.Inputs, nil
}

// Tables lists the table names a query can scope, sorted.
func Tables() []string {
	var names []string
	for _, t := range lake.All() {
		names = append(names, t.Name())
	}
	sort.Strings(names)
	return names
}

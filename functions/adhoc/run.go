package adhoc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/lake"
)

// Limits.
const (
	DefaultMaxRows  = 10_000
	MaxRows         = 100_000
	DefaultMaxBytes = 32 << 20
	MaxRange        = 31 * 24 * time.Hour
	DefaultTimeout  = 10 * time.Second
	MaxConcurrent   = 2
)

// Formats a result can be encoded in.
const (
	FormatJSON    = "json"
	FormatCSV     = "csv"
	FormatParquet = "parquet"
)

// Request is one query.
type Request struct {
	SQL      string
	Clusters []string // already validated; every registered cluster by default
	From, To time.Time
	MaxRows  int
	Format   string // FormatJSON (default), FormatCSV or FormatParquet
	// Admin may read the audit table; anyone else's query runs in the
	// engine's sandbox instance, which cannot open the audit table's files.
	Admin bool
}

// ScopeInfo reports what a query could see.
type ScopeInfo struct {
	Table    string    `json:"table"`
	Clusters []string  `json:"clusters"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
}

// Result is a finished query, already encoded in its format: it never
// exceeds the runner's byte cap.
type Result struct {
	Format, ContentType string
	Body                *Body
	Rows                int
	Truncated           bool
	Elapsed             time.Duration
	Scopes              []ScopeInfo
}

// ErrBusy means too many queries run on this instance.
var ErrBusy = errors.New("too many concurrent queries")

// ErrForbidden means the query names a table the caller may not read.
var ErrForbidden = errors.New("forbidden table")

// Runner runs ad-hoc queries.
type Runner struct {
	e        *query.Engine
	sem      chan struct{}
	timeout  time.Duration
	maxBytes int64
}

// NewRunner returns a runner on e. The engine must be opened with Setup
// and with SandboxTables = Tables(false). maxBytes caps an encoded result
// (0: DefaultMaxBytes).
func NewRunner(e *query.Engine, timeout time.Duration, maxBytes int64) *Runner {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Runner{e: e, sem: make(chan struct{}, MaxConcurrent), timeout: timeout, maxBytes: maxBytes}
}

// Timeout is the statement timeout.
func (r *Runner) Timeout() time.Duration { return r.timeout }

// MaxBytes is the cap on an encoded result.
func (r *Runner) MaxBytes() int64 { return r.maxBytes }

// Tables lists the tables a caller may query.
func Tables(admin bool) []string {
	var out []string
	for _, t := range query.Tables() {
		if t == lake.AuditLog.Name() && !admin {
			continue
		}
		out = append(out, t)
	}
	return out
}

// rowAlias names the user's result in the wrapper.
const rowAlias = "atlhyper_result__"

// Run checks and runs req.
func (r *Runner) Run(ctx context.Context, req Request) (Result, error) {
	select {
	case r.sem <- struct{}{}:
		defer func() { <-r.sem }()
	default:
		return Result{}, ErrBusy
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	parsed, err := Check(ctx, r.e, req.SQL, query.Tables())
	if err != nil {
		return Result{}, r.scrub(err)
	}
	var scopes []query.Scope
	var infos []ScopeInfo
	for _, t := range parsed.Tables {
		clusters := req.Clusters
		if t == lake.AuditLog.Name() {
			if !req.Admin {
				return Result{}, fmt.Errorf("%w: the audit table is for admins only", ErrForbidden)
			}
			clusters = lakeview.AuditClusters
		}
		if len(clusters) == 0 {
			clusters = []string{lake.GlobalCluster} // no cluster yet: an empty view
		}
		scopes = append(scopes, query.Scope{Table: t, Clusters: clusters, From: req.From, To: req.To})
		infos = append(infos, ScopeInfo{Table: t, Clusters: clusters, From: req.From.UTC(), To: req.To.UTC()})
	}
	if infos == nil {
		infos = []ScopeInfo{}
	}
	enc, err := newEncoder(req.Format, r.maxBytes)
	if err != nil {
		return Result{}, err
	}
	max := req.MaxRows
	if max <= 0 {
		max = DefaultMaxRows
	}
	// The LIMIT goes into DuckDB so a huge result is never computed, and
	// the budget stops one of huge rows: COLUMNS(*) expands to one call per
	// column, each counting that value's length as text. The newline ends a
	// trailing line comment; the parser has already accepted the text as
	// one complete statement.
	text := strings.TrimRight(strings.TrimSpace(req.SQL), ";")
	wrapped := fmt.Sprintf("SELECT * FROM (\n%s\n) AS %s WHERE %s(coalesce(strlen(CAST(COLUMNS(*) AS VARCHAR)), 0)) LIMIT %d",
		text, rowAlias, budgetFunction, max+1)
	qctx, bud := withBudget(ctx, r.maxBytes)
	var rowsOut int
	var truncated bool
	err = r.e.Query(qctx, query.Request{
		Scopes: scopes, SQL: wrapped, Sandboxed: !req.Admin,
		Check: func(ctx context.Context, conn *sql.Conn, files []string) error {
			return checkPlan(ctx, conn, wrapped, files)
		},
	}, func(rows *sql.Rows) error {
		var err error
		rowsOut, truncated, err = enc.stream(rows, max)
		return err
	})
	if bud.left.Load() < 0 {
		err = fmt.Errorf("%w: the result is larger than %s; narrow it (WHERE, LIMIT, fewer columns)", ErrTooLarge, humanBytes(r.maxBytes))
	} else if errors.Is(err, ErrTooLarge) {
		err = fmt.Errorf("%w: the result is larger than %s; narrow it (WHERE, LIMIT, fewer columns)", ErrTooLarge, humanBytes(r.maxBytes))
	}
	if err != nil {
		return Result{}, r.scrub(err)
	}
	elapsed := time.Since(start)
	if err := enc.finish(summary{rows: rowsOut, truncated: truncated, elapsed: elapsed, scopes: infos}); err != nil {
		if errors.Is(err, ErrTooLarge) {
			err = fmt.Errorf("%w: the result is larger than %s; narrow it (WHERE, LIMIT, fewer columns)", ErrTooLarge, humanBytes(r.maxBytes))
		}
		return Result{}, err
	}
	return Result{Format: enc.format(), ContentType: enc.contentType(), Body: enc.body(), Rows: rowsOut, Truncated: truncated,
		Elapsed: elapsed, Scopes: infos}, nil
}

// scrub keeps the cache directory's path out of error messages: it tells
// nothing a user needs and is part of the engine's configuration.
func (r *Runner) scrub(err error) error {
	dir := r.e.CacheDir()
	if dir == "" || !strings.Contains(err.Error(), dir) {
		return err
	}
	return &scrubbed{msg: strings.ReplaceAll(err.Error(), dir, "<cache>"), err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

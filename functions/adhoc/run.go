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
	DefaultMaxRows = 10_000
	MaxRows        = 100_000
	MaxRange       = 31 * 24 * time.Hour
	DefaultTimeout = 10 * time.Second
	MaxConcurrent  = 2
)

// Request is one query.
type Request struct {
	SQL      string
	Clusters []string // already validated; every registered cluster by default
	From, To time.Time
	MaxRows  int
	// Admin may read the audit table.
	Admin bool
}

// ScopeInfo reports what a query could see.
type ScopeInfo struct {
	Table    string    `json:"table"`
	Clusters []string  `json:"clusters"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
}

// Result is a finished query.
type Result struct {
	lakeview.Result
	Truncated bool
	Elapsed   time.Duration
	Scopes    []ScopeInfo
}

// ErrBusy means too many queries run on this instance.
var ErrBusy = errors.New("too many concurrent queries")

// ErrForbidden means the query names a table the caller may not read.
var ErrForbidden = errors.New("forbidden table")

// Runner runs ad-hoc queries.
type Runner struct {
	e       *query.Engine
	sem     chan struct{}
	timeout time.Duration
}

// NewRunner returns a runner on e.
func NewRunner(e *query.Engine, timeout time.Duration) *Runner {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Runner{e: e, sem: make(chan struct{}, MaxConcurrent), timeout: timeout}
}

// Timeout is the statement timeout.
func (r *Runner) Timeout() time.Duration { return r.timeout }

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
		return Result{}, err
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
	max := req.MaxRows
	// The LIMIT goes into DuckDB so a huge result is never computed; the
	// newline ends a trailing line comment. The parser has already
	// accepted the text as one complete statement.
	text := strings.TrimRight(strings.TrimSpace(req.SQL), ";")
	wrapped := fmt.Sprintf("SELECT * FROM (\n%s\n) LIMIT %d", text, max+1)
	var res Result
	err = r.e.Query(ctx, query.Request{Scopes: scopes, SQL: wrapped}, func(rows *sql.Rows) error {
		var err error
		res.Result, res.Truncated, err = lakeview.ReadAll(rows, max)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	res.Elapsed, res.Scopes = time.Since(start), infos
	if res.Scopes == nil {
		res.Scopes = []ScopeInfo{}
	}
	return res, nil
}

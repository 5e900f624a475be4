package adhoc

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/duckdb/duckdb-go/v2"
)

// ErrTooLarge means a result grew past its byte cap.
var ErrTooLarge = errors.New("result too large")

// budgetFunction is registered in every DuckDB instance the engine opens
// (Setup) and called by the query wrapper only: it counts the bytes of
// the values a query produces (as text) and fails the query once they pass
// the cap. DuckDB's driver materializes a result before the first row
// reaches Go, so without it a 150-row query of 1 MB rows would sit whole in
// memory before any cap in Go could act.
const budgetFunction = "atlhyper_result_budget"

type budgetKey struct{}

// budget is a query's remaining bytes, shared by DuckDB's threads.
type budget struct {
	left  atomic.Int64
	limit int64
}

func withBudget(ctx context.Context, limit int64) (context.Context, *budget) {
	b := &budget{limit: limit}
	b.left.Store(limit)
	return context.WithValue(ctx, budgetKey{}, b), b
}

type budgetUDF struct{}

func (budgetUDF) Config() duckdb.ScalarFuncConfig {
	in, _ := duckdb.NewTypeInfo(duckdb.TYPE_BIGINT)
	out, _ := duckdb.NewTypeInfo(duckdb.TYPE_BOOLEAN)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{in}, ResultTypeInfo: out, Volatile: true}
}

func (budgetUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowContextExecutor: func(ctx context.Context, args []driver.Value) (any, error) {
		b, _ := ctx.Value(budgetKey{}).(*budget)
		if b == nil {
			return true, nil // not called by the wrapper: nothing to count
		}
		n, _ := args[0].(int64)
		if b.left.Add(-n) < 0 {
			return nil, fmt.Errorf("%w: more than %s", ErrTooLarge, humanBytes(b.limit))
		}
		return true, nil
	}}
}

// Setup registers the sandbox's functions in a DuckDB instance; it is the
// query engine's Config.Setup.
func Setup(ctx context.Context, conn *sql.Conn) error {
	return duckdb.RegisterScalarUDF(conn, budgetFunction, budgetUDF{})
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

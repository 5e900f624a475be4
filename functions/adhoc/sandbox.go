package adhoc

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/atlhyper/atlhyper/query"
)

// ErrRefused marks SQL the sandbox refuses, with a message for the user.
var ErrRefused = errors.New("query refused")

// MaxSQLBytes bounds the text of one query.
const MaxSQLBytes = 64 << 10

// TableFunctions are the only table functions a query may call.
var TableFunctions = []string{"range", "generate_series", "unnest"}

// refusedFunctions reveal the engine's configuration, its catalog or the
// cached files' paths, or run SQL the sandbox has not seen. Prefixes in
// refusedPrefixes are refused too (duckdb_settings(), pg_get_viewdef …).
var (
	refusedFunctions = []string{"getenv", "current_setting", "getvariable", "json_serialize_sql", "json_serialize_plan",
		"json_deserialize_sql", "json_execute_serialized_sql", "current_query", budgetFunction}
	refusedPrefixes = []string{"duckdb_", "pg_", "pragma_", "parquet_", "read_", "glob", "which_secret", "query"}
)

// identifierRE is what a CTE may be named: a plain identifier, never a
// path, a glob or anything DuckDB could resolve as a file.
var identifierRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// Parsed is what the sandbox learned about a query.
type Parsed struct {
	Tables []string // lake tables the query names, sorted
}

// Check parses sqlText with DuckDB's parser and applies the rules of the
// first layer; lake is the set of table names the query may use.
func Check(ctx context.Context, e *query.Engine, sqlText string, lake []string) (Parsed, error) {
	if strings.TrimSpace(sqlText) == "" {
		return Parsed{}, fmt.Errorf("%w: empty query", ErrRefused)
	}
	if len(sqlText) > MaxSQLBytes {
		return Parsed{}, fmt.Errorf("%w: query longer than %d bytes", ErrRefused, MaxSQLBytes)
	}
	if strings.ContainsRune(sqlText, 0) {
		return Parsed{}, fmt.Errorf("%w: NUL byte in query", ErrRefused)
	}
	var raw any
	err := e.Query(ctx, query.Request{SQL: "SELECT json_serialize_sql(?::VARCHAR)", Args: []any{sqlText}}, func(rows *sql.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Parsed{}, err
	}
	tree, err := jsonObject(raw)
	if err != nil {
		return Parsed{}, err
	}
	if isErr, _ := tree["error"].(bool); isErr {
		msg, _ := tree["error_message"].(string)
		if strings.Contains(msg, "Only SELECT") {
			return Parsed{}, fmt.Errorf("%w: only a single SELECT statement is allowed", ErrRefused)
		}
		return Parsed{}, fmt.Errorf("%w: %s", ErrRefused, msg)
	}
	stmts, _ := tree["statements"].([]any)
	if len(stmts) != 1 {
		return Parsed{}, fmt.Errorf("%w: exactly one statement is allowed, got %d", ErrRefused, len(stmts))
	}
	w := walker{lake: lake}
	if err := w.walk(stmts[0], nil); err != nil {
		return Parsed{}, err
	}
	slices.Sort(w.tables)
	return Parsed{Tables: slices.Compact(w.tables)}, nil
}

func jsonObject(raw any) (map[string]any, error) {
	switch t := raw.(type) {
	case map[string]any:
		return t, nil
	case string:
		var m map[string]any
		if json.Unmarshal([]byte(t), &m) == nil {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%w: unexpected parser output", ErrRefused)
}

// walker checks a parse tree. CTE names are scoped as DuckDB's binder
// scopes them, or more narrowly: a WITH's names are visible in its own
// query and in its later CTEs (never in earlier ones, never outside its
// query), a recursive CTE sees itself only in its recursive part. A name
// DuckDB would bind to anything else — a catalog view, a file — is thus
// never mistaken for a CTE.
type walker struct {
	lake   []string
	tables []string
}

func (w *walker) walk(v any, ctes map[string]bool) error {
	switch t := v.(type) {
	case []any:
		for _, c := range t {
			if err := w.walk(c, ctes); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		return w.node(t, ctes)
	}
	return nil
}

func (w *walker) node(t map[string]any, ctes map[string]bool) error {
	if cm, ok := t["cte_map"].(map[string]any); ok {
		entries, _ := cm["map"].([]any)
		if len(entries) > 0 {
			inner := maps.Clone(ctes)
			if inner == nil {
				inner = map[string]bool{}
			}
			for _, e := range entries {
				m, _ := e.(map[string]any)
				name, _ := m["key"].(string)
				if !identifierRE.MatchString(name) {
					return fmt.Errorf("%w: CTE name %q: use a plain identifier", ErrRefused, clip(name))
				}
				// The body sees the CTEs before it, not itself (a
				// recursive body handles its own name, below).
				if err := w.walk(m["value"], inner); err != nil {
					return err
				}
				inner = maps.Clone(inner)
				inner[strings.ToLower(name)] = true
			}
			ctes = inner
		}
	}
	typ, _ := t["type"].(string)
	switch typ {
	case "RECURSIVE_CTE_NODE":
		name, _ := t["cte_name"].(string)
		if err := w.walk(t["left"], ctes); err != nil {
			return err
		}
		self := maps.Clone(ctes)
		if self == nil {
			self = map[string]bool{}
		}
		self[strings.ToLower(name)] = true
		if err := w.walk(t["right"], self); err != nil {
			return err
		}
		return w.rest(t, ctes, "cte_map", "left", "right")
	case "BASE_TABLE":
		if err := w.table(t, ctes); err != nil {
			return err
		}
	case "TABLE_FUNCTION":
		fn, _ := t["function"].(map[string]any)
		name, _ := fn["function_name"].(string)
		if err := unqualified(fn); err != nil {
			return err
		}
		if !slices.Contains(TableFunctions, strings.ToLower(name)) {
			return fmt.Errorf("%w: table function %q is not allowed (allowed: %s)", ErrRefused, clip(name), strings.Join(TableFunctions, ", "))
		}
	case "SHOW_REF":
		if st, _ := t["show_type"].(string); st != "DESCRIBE" && st != "SUMMARY" {
			return fmt.Errorf("%w: SHOW is not allowed", ErrRefused)
		}
		if name, _ := t["table_name"].(string); name != "" {
			if err := w.table(t, ctes); err != nil {
				return err
			}
		}
	}
	if class, _ := t["class"].(string); class == "FUNCTION" {
		name, _ := t["function_name"].(string)
		if err := unqualified(t); err != nil {
			return err
		}
		if refusedFunction(name) {
			return fmt.Errorf("%w: function %q is not allowed", ErrRefused, clip(name))
		}
	}
	return w.rest(t, ctes, "cte_map")
}

// unqualified refuses a function named with a catalog or a schema other
// than main (the parser itself writes main.list_value for [1, 2]).
func unqualified(fn map[string]any) error {
	s, _ := fn["schema"].(string)
	c, _ := fn["catalog"].(string)
	if c != "" || (s != "" && s != "main") {
		return fmt.Errorf("%w: qualified function names are not allowed", ErrRefused)
	}
	return nil
}

// rest walks every field of t but skip.
func (w *walker) rest(t map[string]any, ctes map[string]bool, skip ...string) error {
	for _, k := range slices.Sorted(maps.Keys(t)) {
		if slices.Contains(skip, k) {
			continue
		}
		if err := w.walk(t[k], ctes); err != nil {
			return err
		}
	}
	return nil
}

// table checks a table reference: a lake table or a CTE in scope, never
// qualified. A CTE that shadows a lake table still counts as that table,
// so a name is never read without its scope (and the audit table stays
// refused to non-admins whatever a query calls its CTEs).
func (w *walker) table(t map[string]any, ctes map[string]bool) error {
	name, _ := t["table_name"].(string)
	schema, _ := t["schema_name"].(string)
	catalog, _ := t["catalog_name"].(string)
	lname := strings.ToLower(name)
	switch {
	case schema != "" || catalog != "":
		return fmt.Errorf("%w: qualified table names (%s.%s) are not allowed", ErrRefused, clip(schema), clip(name))
	case slices.Contains(w.lake, lname):
		w.tables = append(w.tables, lname)
	case ctes[lname]:
	default:
		return fmt.Errorf("%w: unknown table %q (tables: %s)", ErrRefused, clip(name), strings.Join(w.lake, ", "))
	}
	return nil
}

func refusedFunction(name string) bool {
	l := strings.ToLower(name)
	if slices.Contains(refusedFunctions, l) {
		return true
	}
	for _, p := range refusedPrefixes {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// planOperators are the logical operators a checked plan may contain:
// reading, joining and computing; never writing, setting, attaching,
// loading or explaining.
var planOperators = []string{
	"LOGICAL_PROJECTION", "LOGICAL_FILTER", "LOGICAL_AGGREGATE_AND_GROUP_BY", "LOGICAL_WINDOW", "LOGICAL_UNNEST",
	"LOGICAL_LIMIT", "LOGICAL_ORDER_BY", "LOGICAL_TOP_N", "LOGICAL_DISTINCT", "LOGICAL_SAMPLE", "LOGICAL_PIVOT",
	"LOGICAL_GET", "LOGICAL_CHUNK_GET", "LOGICAL_DELIM_GET", "LOGICAL_EXPRESSION_GET", "LOGICAL_DUMMY_SCAN",
	"LOGICAL_EMPTY_RESULT", "LOGICAL_CTE_REF", "LOGICAL_JOIN", "LOGICAL_DELIM_JOIN", "LOGICAL_COMPARISON_JOIN",
	"LOGICAL_ANY_JOIN", "LOGICAL_CROSS_PRODUCT", "LOGICAL_POSITIONAL_JOIN", "LOGICAL_ASOF_JOIN",
	"LOGICAL_DEPENDENT_JOIN", "LOGICAL_UNION", "LOGICAL_EXCEPT", "LOGICAL_INTERSECT", "LOGICAL_RECURSIVE_CTE",
	"LOGICAL_MATERIALIZED_CTE",
}

// checkPlan is the second layer, independent of the first: it asks DuckDB
// for the plan it bound sqlText to on this connection (the views exist)
// and accepts only scans of files and functions the caller may read: a
// read_parquet over files among the views' files (those of the tables the
// caller may read, in scope), and the allowed table functions. Catalog
// views and functions (duckdb_settings, pg_settings, information_schema …)
// bind to other table functions, a path or glob to other files: both are
// refused here whatever the parse tree looked like.
func checkPlan(ctx context.Context, conn *sql.Conn, sqlText string, files []string) error {
	var raw any
	if err := conn.QueryRowContext(ctx, "SELECT json_serialize_plan(?::VARCHAR)", sqlText).Scan(&raw); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	tree, err := jsonObject(raw)
	if err != nil {
		return err
	}
	if isErr, _ := tree["error"].(bool); isErr {
		msg, _ := tree["error_message"].(string)
		return fmt.Errorf("%w: %s", ErrRefused, msg)
	}
	plans, _ := tree["plans"].([]any)
	if len(plans) != 1 {
		return fmt.Errorf("%w: the query's plan could not be checked", ErrRefused)
	}
	allowed := make(map[string]bool, len(files))
	for _, f := range files {
		allowed[f] = true
	}
	return walkPlan(plans[0], allowed)
}

func walkPlan(v any, files map[string]bool) error {
	switch t := v.(type) {
	case []any:
		for _, c := range t {
			if err := walkPlan(c, files); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		if typ, _ := t["type"].(string); strings.HasPrefix(typ, "LOGICAL_") {
			if !slices.Contains(planOperators, typ) {
				return fmt.Errorf("%w: the plan contains %s", ErrRefused, typ)
			}
			if typ == "LOGICAL_GET" {
				if err := checkGet(t, files); err != nil {
					return err
				}
			}
		}
		switch class, _ := t["expression_class"].(string); class {
		case "BOUND_FUNCTION", "BOUND_AGGREGATE", "BOUND_WINDOW":
			name, _ := t["name"].(string)
			if fn, ok := t["function"].(map[string]any); ok && name == "" {
				name, _ = fn["name"].(string)
			}
			if name != budgetFunction && refusedFunction(name) {
				return fmt.Errorf("%w: function %q is not allowed", ErrRefused, clip(name))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(t)) {
			if err := walkPlan(t[k], files); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkGet(t map[string]any, files map[string]bool) error {
	name, _ := t["name"].(string)
	switch strings.ToLower(name) {
	case "read_parquet", "parquet_scan":
		data, _ := t["function_data"].(map[string]any)
		list, _ := data["files"].([]any)
		if len(list) == 0 {
			return fmt.Errorf("%w: a Parquet scan outside the lake tables", ErrRefused)
		}
		for _, f := range list {
			if s, _ := f.(string); !files[s] {
				return fmt.Errorf("%w: a file outside the tables you may read", ErrRefused)
			}
		}
		return nil
	}
	if slices.Contains(TableFunctions, strings.ToLower(name)) {
		return nil
	}
	return fmt.Errorf("%w: table function %q is not allowed", ErrRefused, clip(name))
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

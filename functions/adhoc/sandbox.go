package adhoc

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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

// refusedScalars reveal the engine's configuration.
var refusedScalars = []string{"getenv", "current_setting", "duckdb_settings", "getvariable"}

// Parsed is what the sandbox learned about a query.
type Parsed struct {
	Tables []string // lake tables the query names, sorted
}

// Check parses sqlText with DuckDB's parser and applies the rules; lake is
// the set of table names the query may use.
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
	tree, ok := raw.(map[string]any)
	if !ok {
		if s, isStr := raw.(string); isStr && json.Unmarshal([]byte(s), &tree) == nil {
			ok = true
		}
	}
	if !ok {
		return Parsed{}, fmt.Errorf("%w: unexpected parser output", ErrRefused)
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
	w := walker{ctes: map[string]bool{}, lake: lake}
	w.collectCTEs(stmts[0])
	if err := w.walk(stmts[0]); err != nil {
		return Parsed{}, err
	}
	slices.Sort(w.tables)
	return Parsed{Tables: slices.Compact(w.tables)}, nil
}

type walker struct {
	ctes   map[string]bool
	lake   []string
	tables []string
}

func (w *walker) collectCTEs(v any) {
	switch t := v.(type) {
	case map[string]any:
		if cm, ok := t["cte_map"].(map[string]any); ok {
			if entries, ok := cm["map"].([]any); ok {
				for _, e := range entries {
					if m, ok := e.(map[string]any); ok {
						if k, ok := m["key"].(string); ok {
							w.ctes[strings.ToLower(k)] = true
						}
					}
				}
			}
		}
		for _, c := range t {
			w.collectCTEs(c)
		}
	case []any:
		for _, c := range t {
			w.collectCTEs(c)
		}
	}
}

func (w *walker) walk(v any) error {
	switch t := v.(type) {
	case map[string]any:
		typ, _ := t["type"].(string)
		switch typ {
		case "BASE_TABLE":
			name, _ := t["table_name"].(string)
			schema, _ := t["schema_name"].(string)
			catalog, _ := t["catalog_name"].(string)
			lname := strings.ToLower(name)
			switch {
			case schema != "" || catalog != "":
				return fmt.Errorf("%w: qualified table names (%s.%s) are not allowed", ErrRefused, schema, name)
			case slices.Contains(w.lake, lname):
				w.tables = append(w.tables, lname)
			case w.ctes[lname]:
			default:
				return fmt.Errorf("%w: unknown table %q (tables: %s)", ErrRefused, clip(name), strings.Join(w.lake, ", "))
			}
		case "TABLE_FUNCTION":
			fn, _ := t["function"].(map[string]any)
			name, _ := fn["function_name"].(string)
			if !slices.Contains(TableFunctions, strings.ToLower(name)) {
				return fmt.Errorf("%w: table function %q is not allowed (allowed: %s)", ErrRefused, clip(name), strings.Join(TableFunctions, ", "))
			}
		case "SHOW_REF":
			if st, _ := t["show_type"].(string); st != "DESCRIBE" && st != "SUMMARY" {
				return fmt.Errorf("%w: SHOW is not allowed", ErrRefused)
			}
		}
		if class, _ := t["class"].(string); class == "FUNCTION" {
			name, _ := t["function_name"].(string)
			if slices.Contains(refusedScalars, strings.ToLower(name)) || strings.HasPrefix(strings.ToLower(name), "duckdb_") {
				return fmt.Errorf("%w: function %q is not allowed", ErrRefused, clip(name))
			}
		}
		for _, c := range t {
			if err := w.walk(c); err != nil {
				return err
			}
		}
	case []any:
		for _, c := range t {
			if err := w.walk(c); err != nil {
				return err
			}
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Package adhoc runs users' ad-hoc SQL over the lake, read-only and
// sandboxed, and encodes results as JSON, CSV or Parquet.
//
// Defence in depth, outermost first:
//  1. DuckDB's own parser (json_serialize_sql) must accept the text as
//     exactly one SELECT statement; it refuses every other statement type
//     (COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA, CREATE, INSERT, EXPLAIN …).
//  2. The parsed tree is walked: tables must be lake tables (or the query's
//     own CTEs), table functions must be on a short allowlist (no read_csv,
//     read_parquet, glob, query …), file paths as tables are refused, and a
//     few scalar functions that reveal configuration are refused.
//  3. Only the tables the query names are scoped (views restricted to the
//     requested clusters and time range); the audit table only for admins.
//  4. The engine's DuckDB can read nothing but its cache directory, write
//     nothing, load nothing, and its configuration is locked.
//  5. Each query has a timeout, a row cap (LIMIT pushed into DuckDB), the
//     engine's memory cap, and a per-instance concurrency limit.
package adhoc

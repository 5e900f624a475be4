// Package adhoc runs users' ad-hoc SQL over the lake, read-only and
// sandboxed, and encodes results as JSON, CSV or Parquet.
//
// The guarantee: a non-admin's query reads only the lake tables a viewer
// may read — never the audit log, users, sessions, the engine's settings
// or catalog, or any other file. Three layers hold it, each on its own
// (TestScopeAbuseEachLayer takes the outer ones away):
//
//  1. The parse tree. DuckDB's own parser (json_serialize_sql) must accept
//     the text as exactly one SELECT; the tree is walked with CTE names
//     scoped as DuckDB's binder scopes them, or more narrowly (a name is a
//     CTE only inside its WITH's query and later CTEs; a recursive CTE sees
//     itself only in its recursive part; CTE names are plain identifiers).
//     Every other table name must be a lake table, unqualified; table
//     functions are an allowlist; functions revealing configuration,
//     catalog or plans are refused. The audit table is for admins.
//  2. The bound plan. On the connection that will run it, with the views
//     in place, DuckDB serializes the plan it bound the query to
//     (json_serialize_plan); every scan must be read_parquet over files of
//     the views created for this query (the tables the caller may read, in
//     scope) or an allowed table function, every operator a reading one,
//     and no bound function a refused one. A catalog view binds to a
//     duckdb_* function and a path or glob to other files: refused here,
//     whatever layer 1 saw.
//  3. The files. Non-admins' queries run on the engine's sandbox instance
//     (query.Config.SandboxTables = Tables(false)), whose allowed
//     directories are only those tables' directories in the cache: the
//     audit log's cached objects cannot be opened from it at all. Users
//     and sessions are never in the cache (they are read from the store
//     directly), and no instance can read outside its cache, write, attach,
//     install, load or change its locked configuration.
//
// Each query also has a timeout, a row cap (LIMIT pushed into DuckDB), a
// byte cap on its result (counted in DuckDB as it produces values, so a
// huge result is stopped before it is materialized, and again on the
// encoded bytes), the engine's memory cap and a per-instance concurrency
// limit. Error messages never show the cache's path.
package adhoc

// Package timetravel holds the test that rebuilds a namespace's past state
// from the lake alone, with the SQL docs/agent.md documents, through the
// real query engine, and compares it with what the API server held then.
// It lives apart from package agent's tests so they need not link DuckDB.
package timetravel

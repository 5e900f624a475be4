// Package lakeview answers the API's read questions from the lake: cluster
// state now and at any past moment, diffs and timelines, anomalies, events,
// node metrics and audit records — all through the query engine (DuckDB
// over the read-through cache) — and the fleet and cluster overviews from
// the agents' small current-state objects.
//
// It holds caches only. Reconstructed states are cached in memory keyed by
// the exact set of lake objects they were computed from, so a cached state
// is reused only while it is still exactly right; the current-state objects
// are revalidated with conditional GETs. It never writes to the store.
package lakeview

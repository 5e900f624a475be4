// Package lake is the lake contract: the public layout every writer and
// reader of AtlHyper's data shares (docs/lake.md).
//
//   - Layout: object keys <table>/cluster=<id>/date=<day>/<span>-<writer>-<ULID>.parquet,
//     partition prefixes, and the small mutable JSON objects under _sys/
//     (the agents' current.json: CurrentState with its HeartbeatState;
//     the tail of a watched cluster: TailManifest).
//   - Tables: each table's columns as a Go row type (Pod, Node, Workload,
//     Object, Event, Anomaly, NodeMetric, Heartbeat, Audit, Detail), its
//     schema version, sort key and default retention; the Parquet codec
//     that encodes rows sorted and decodes them back, tolerating columns
//     added by later versions.
//   - Writer: per-table buffers flushed as immutable objects through a
//     Sink (create-only puts), bounded in memory.
//   - Reading: ListPartition and Visible, which hide the inputs of a
//     compacted object so no reader sees a row twice or misses one.
//
// It knows nothing of Kubernetes clients, DuckDB or HTTP: the agent, the
// collector, compaction, the query engine and the API all build on it,
// and users' own DuckDB reads what it writes. A column is renamed, removed
// or retyped only by making a new table; a schema version may only add
// nullable columns.
package lake

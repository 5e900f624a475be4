// Package collector is the node metrics DaemonSet and its path into the
// lake. It holds no code of its own; the parts are:
//
//	sampler        reads /proc and /sys (prometheus/procfs) into samples, counters into rates
//	payload        the wire format collector → agent, and its validation
//	push           the collector's bounded backlog, retries and sequence numbers
//	ingest         the agent's HTTP endpoint: token, size, schema, clock and replay checks,
//	               then lake.NodeMetric rows to a sink (the agent's lake writer)
//	cmd/collector  the binary: flags and environment, logging, shutdown
//	bench          scripts/bench collector: RSS, CPU and bytes per sample at rest
//
// Data flow: /proc, /sys → sampler → push (gzip JSON over HTTP, every 15 s)
// → ingest → sink → lake writer → node_metrics Parquet objects. The metric
// names, units, rounding and the mounts the DaemonSet needs are documented
// in docs/node-metrics.md.
package collector

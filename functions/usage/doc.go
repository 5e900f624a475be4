// Package usage is AtlHyper's self-monitoring: what the platform itself
// keeps and does in the object store, and what that costs.
//
// A Report brings together the lake inventory the scheduler stores hourly
// (objects and bytes per table and cluster, compaction backlog), every
// scheduled job's last run (outcome, duration, what compaction merged,
// deleted, expired or found corrupt) and its runs of the last day with
// their store requests, every agent's heartbeat (liveness, spool, errors,
// what it wrote, its request counters) with the scheduler's hourly samples
// of those counters, and this API instance's own store requests. It prices
// the measured rates — requests per hour over a window, never one run
// repeated — at S3 Standard list prices as an estimate of the monthly
// bill, for the fleet and per cluster-month, with its inputs and what it
// leaves out.
//
// It reads only small objects (the stored inventory, the job statuses, the
// agent samples and the heartbeats, revalidated with conditional GETs) and never lists the
// lake: counting objects is the scheduler's inventory job, so that opening
// the self-monitoring page costs a handful of requests however large the
// lake is. Anything not there yet (no inventory taken, a job that never
// ran, an agent without a heartbeat) is reported as missing, not as an
// error.
package usage

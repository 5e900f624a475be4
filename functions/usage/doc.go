// Package usage is AtlHyper's self-monitoring: what the platform itself
// keeps and does in the object store, and what that costs.
//
// A Report brings together the lake inventory the scheduler stores hourly
// (objects and bytes per table and cluster, compaction backlog), the last
// run of every scheduled job (outcome, duration, what compaction merged,
// deleted, expired or found corrupt, the run's store requests), every
// agent's heartbeat (liveness, spool, errors, what it wrote) and this API
// instance's own store requests, and prices them at S3 Standard list
// prices as an estimate of the monthly bill, with its inputs.
//
// It reads only small objects (the stored inventory, the job statuses and
// the heartbeats, revalidated with conditional GETs) and never lists the
// lake: counting objects is the scheduler's inventory job, so that opening
// the self-monitoring page costs a handful of requests however large the
// lake is. Anything not there yet (no inventory taken, a job that never
// ran, an agent without a heartbeat) is reported as missing, not as an
// error.
package usage

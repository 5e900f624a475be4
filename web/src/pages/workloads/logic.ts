import { toMillis } from '../../lib/format';
import type { Workload } from '../../lib/k8s';

export function jobDuration(w: Workload): number | undefined {
  const s = toMillis(w.start_time);
  if (s === null) return undefined;
  const e = toMillis(w.completion_time) ?? (w.job_status === 'Running' || w.active ? Date.now() : null);
  return e === null ? undefined : Math.max(0, e - s);
}

/** One revision of a Deployment: a ReplicaSet it owns. */
export interface Revision {
  rs: Workload;
  revision?: number;
  /** The revision the Deployment runs now. */
  current: boolean;
}

/**
 * A Deployment's rollout history: its ReplicaSets newest revision first
 * (creation time orders those whose revision is unknown).
 */
export function rolloutHistory(replicaSets: Workload[], revisionOf: (rs: Workload) => number | undefined, currentRevision: number | undefined): Revision[] {
  return replicaSets
    .map((rs) => ({ rs, revision: revisionOf(rs), current: false }))
    .map((r) => ({ ...r, current: currentRevision !== undefined && r.revision === currentRevision }))
    .sort((a, b) => (b.revision ?? -1) - (a.revision ?? -1) || (toMillis(b.rs.created_at) ?? 0) - (toMillis(a.rs.created_at) ?? 0));
}

import type { Status, Workload } from './types';

/** "ready/desired" as kubectl shows READY. */
export function replicasText(w: Workload): string {
  return `${w.ready ?? 0}/${w.desired ?? 0}`;
}

export function workloadStatus(w: Workload): Status {
  switch (w.kind) {
    case 'Job': {
      const s = w.job_status || (w.failed ? 'Failed' : w.active ? 'Running' : w.succeeded ? 'Complete' : 'Pending');
      return { label: s, tone: s === 'Failed' ? 'crit' : s === 'Complete' ? 'ok' : s === 'Suspended' ? 'neutral' : 'info' };
    }
    case 'CronJob': {
      if (w.suspend) return { label: 'Suspended', tone: 'neutral' };
      if (w.last_job_status === 'Failed') return { label: 'LastRunFailed', tone: 'crit' };
      return { label: w.active ? 'Active' : 'Scheduled', tone: 'ok' };
    }
    default: {
      if (w.progress_deadline_exceeded) return { label: 'ProgressDeadlineExceeded', tone: 'crit' };
      if (w.paused) return { label: 'Paused', tone: 'neutral' };
      const desired = w.desired ?? 0;
      const avail = w.kind === 'StatefulSet' ? (w.ready ?? 0) : (w.available ?? w.ready ?? 0);
      if (desired === 0) return { label: 'ScaledToZero', tone: 'neutral' };
      if (avail >= desired && (w.updated ?? desired) >= desired) return { label: 'Available', tone: 'ok' };
      if (avail === 0) return { label: 'Unavailable', tone: 'crit' };
      if ((w.updated ?? desired) < desired) return { label: 'Progressing', tone: 'info' };
      return { label: 'Degraded', tone: 'warn' };
    }
  }
}

export function isHealthy(w: Workload): boolean {
  const t = workloadStatus(w).tone;
  return t === 'ok' || t === 'neutral';
}

import type { ClusterSummary } from './types';

export interface Capacity {
  cpuRequested?: number;
  cpuAllocatable?: number;
  memRequested?: number;
  memAllocatable?: number;
}

/** Requested vs allocatable resources of a cluster summary. */
export function capacity(s: ClusterSummary | undefined): Capacity {
  const r = s?.resources;
  return {
    cpuRequested: r?.cpu_request_milli,
    cpuAllocatable: r?.cpu_allocatable_milli,
    memRequested: r?.mem_request_bytes,
    memAllocatable: r?.mem_allocatable_bytes,
  };
}

/** Workloads that are not healthy (the API reports total and healthy). */
export function unhealthyWorkloads(w: { total?: number; healthy?: number } | undefined): number {
  return Math.max(0, (w?.total ?? 0) - (w?.healthy ?? 0));
}

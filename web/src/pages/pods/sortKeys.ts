import type { Pod } from '../../lib/k8s';
import { podStatus } from '../../lib/k8s';
import type { SortValue } from '../../common/sort';

/** Sort key per pods-table column id. */
export const podColumnsSort: Record<string, (p: Pod) => SortValue> = {
  name: (p) => p.name,
  namespace: (p) => p.namespace,
  status: (p) => podStatus(p).label,
  ready: (p) => (p.total_containers ? (p.ready_containers ?? 0) / p.total_containers : 0),
  restarts: (p) => p.restarts ?? 0,
  node: (p) => p.node,
  ip: (p) => p.pod_ip,
  age: (p) => (p.created_at ? -Date.parse(p.created_at) : undefined),
  cpu: (p) => p.cpu_request_milli ?? 0,
  mem: (p) => p.mem_request_bytes ?? 0,
  owner: (p) => (p.owner_kind ? `${p.owner_kind}/${p.owner_name}` : ''),
};

import type { Tone } from '../lib/k8s/types';

/** How a column of the objects table is shown. */
export type ColumnShape = 'text' | 'mono' | 'chip' | 'phase' | 'selector' | 'list' | 'map' | 'count' | 'bytes' | 'bool';

// The shape of every kind-specific column of the objects table (lake
// schema: query/lake tables.go Object). A column missing here still shows,
// as text: a kind added to the registry renders before anyone styles it.
const SHAPES: Record<string, ColumnShape> = {
  phase: 'phase',
  type: 'chip',
  cluster_ip: 'mono',
  selector: 'selector',
  ports: 'list',
  service_name: 'text',
  ready_endpoints: 'count',
  not_ready_endpoints: 'count',
  ingress_class: 'chip',
  hosts: 'list',
  backends: 'list',
  storage_class: 'text',
  capacity_bytes: 'bytes',
  access_modes: 'list',
  volume_name: 'mono',
  claim_ref: 'mono',
  min_replicas: 'count',
  max_replicas: 'count',
  current_replicas: 'count',
  desired_replicas: 'count',
  scale_target: 'mono',
  hard: 'map',
  used: 'map',
  policy_types: 'list',
  secret_type: 'text',
  min_available: 'text',
  max_unavailable: 'text',
  disruptions_allowed: 'count',
  current_healthy: 'count',
  desired_healthy: 'count',
  expected_pods: 'count',
  provisioner: 'mono',
  reclaim_policy: 'text',
  volume_binding_mode: 'text',
  allow_volume_expansion: 'bool',
  default_class: 'bool',
  controller: 'mono',
};

export function columnShape(col: string): ColumnShape {
  return SHAPES[col] ?? 'text';
}

/** The columns with a shape of their own (the rest show as text). */
export const SHAPED_COLUMNS = Object.keys(SHAPES);

/** Tone of a PV/PVC/Namespace phase. */
export function phaseTone(phase: string): Tone {
  switch (phase) {
    case 'Bound':
    case 'Active':
    case 'Available':
      return 'ok';
    case 'Pending':
    case 'Terminating':
    case 'Released':
      return 'warn';
    case 'Lost':
    case 'Failed':
      return 'crit';
    default:
      return 'neutral';
  }
}

/**
 * Columns naming another object: the kind it is, and how the value reads
 * ("name", "namespace/name" or "Kind/name"). The detail view links them
 * (Related).
 */
export const REFERENCES: Record<string, { kind?: string; form: 'name' | 'ns/name' | 'kind/name' }> = {
  volume_name: { kind: 'PersistentVolume', form: 'name' },
  claim_ref: { kind: 'PersistentVolumeClaim', form: 'ns/name' },
  storage_class: { kind: 'StorageClass', form: 'name' },
  ingress_class: { kind: 'IngressClass', form: 'name' },
  service_name: { kind: 'Service', form: 'name' },
  scale_target: { form: 'kind/name' },
};

/** The object a reference column points at, or null. `namespace` is the referring object's. */
export function referenced(col: string, value: unknown, namespace: string | undefined): { kind: string; namespace?: string; name: string } | null {
  const ref = REFERENCES[col];
  if (!ref || typeof value !== 'string' || !value) return null;
  const i = value.indexOf('/');
  switch (ref.form) {
    case 'name':
      return { kind: ref.kind!, namespace, name: value };
    case 'ns/name':
      return i > 0 ? { kind: ref.kind!, namespace: value.slice(0, i), name: value.slice(i + 1) } : null;
    case 'kind/name':
      return i > 0 ? { kind: value.slice(0, i), namespace, name: value.slice(i + 1) } : null;
  }
}

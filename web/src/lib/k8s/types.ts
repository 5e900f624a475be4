import type { Schemas } from '../api/schema.gen';

// The resource model: the API's typed rows (generated from the OpenAPI
// document) under the names Kubernetes people use.
export type Pod = Schemas['Pod'];
export type Container = NonNullable<Pod['containers']>[number];
export type Node = Schemas['Node'];
export type Taint = NonNullable<Node['taints']>[number];
export type Workload = Schemas['Workload'];
export type WorkloadCondition = NonNullable<Workload['conditions']>[number];
/** Services, Ingresses, Namespaces, PVCs, quotas, …: every other kind. */
export type KObject = Schemas['Object'];
export type KEvent = Schemas['Event'];
export type Anomaly = Schemas['Anomaly'];
export type ObjectDetail = Schemas['ObjectDetail'];
export type ClusterHealth = Schemas['ClusterHealth'];
export type ClusterSummary = Schemas['ClusterSummary'];
export type ClusterInfo = Schemas['ClusterInfo'];
export type FieldChange = Schemas['FieldChange'];

/** Visual tone of a status, mapped to theme colours by the UI. */
export type Tone = 'ok' | 'warn' | 'crit' | 'info' | 'neutral';

export interface Status {
  /** Text shown (a Kubernetes reason or phase, not translated: operators search for it). */
  label: string;
  tone: Tone;
}

import { describe, expect, it } from 'vitest';
import {
  compareAnomalies,
  containerStatus,
  EMPTY_FILTER,
  filterPods,
  indexPods,
  isProblem,
  kindByName,
  kindByResource,
  KINDS,
  hasOwnPage,
  kindPage,
  nodePressures,
  nodeStatus,
  objectKey,
  parseObjectKey,
  podFacets,
  podStatus,
  ratio,
  troubledContainer,
  usageTone,
  workloadStatus,
  type Anomaly,
  type Node,
  type Pod,
  type Workload,
} from './index';

const pod = (o: Partial<Pod>): Pod => ({ cluster: 'c', kind: 'Pod', name: 'p', uid: 'u', ts: '2026-01-01T00:00:00Z', namespace: 'default', ...o });
const node = (o: Partial<Node>): Node => ({ cluster: 'c', kind: 'Node', name: 'n', uid: 'u', ts: '2026-01-01T00:00:00Z', ...o });
const wl = (o: Partial<Workload>): Workload => ({ cluster: 'c', kind: 'Deployment', name: 'w', uid: 'u', ts: '2026-01-01T00:00:00Z', ...o });

describe('podStatus', () => {
  it.each<[Partial<Pod>, string, string]>([
    [{ phase: 'Running', ready: true }, 'Running', 'ok'],
    [{ phase: 'Running', ready: false }, 'Running', 'warn'],
    [{ phase: 'Running', waiting_reason: 'CrashLoopBackOff' }, 'CrashLoopBackOff', 'crit'],
    [{ phase: 'Pending', waiting_reason: 'ContainerCreating' }, 'ContainerCreating', 'warn'],
    [{ phase: 'Pending', scheduled: false }, 'Unschedulable', 'warn'],
    [{ phase: 'Succeeded', terminated_reason: 'Completed' }, 'Completed', 'neutral'],
    [{ phase: 'Running', terminated_reason: 'OOMKilled' }, 'OOMKilled', 'crit'],
    [{ phase: 'Failed', reason: 'Evicted' }, 'Evicted', 'crit'],
    [{ phase: 'Failed' }, 'Failed', 'crit'],
    [{ phase: 'Running', terminating: true, waiting_reason: 'CrashLoopBackOff' }, 'Terminating', 'neutral'],
    [{}, 'Unknown', 'neutral'],
  ])('%j', (o, label, tone) => expect(podStatus(pod(o))).toEqual({ label, tone }));
});

describe('containerStatus', () => {
  it('maps states', () => {
    expect(containerStatus({ state: 'running', ready: true })).toEqual({ label: 'Running', tone: 'ok' });
    expect(containerStatus({ state: 'waiting', reason: 'ImagePullBackOff' }).tone).toBe('crit');
    expect(containerStatus({ state: 'terminated', reason: 'Completed', exit_code: 0 }).tone).toBe('neutral');
    expect(containerStatus({ state: 'terminated', exit_code: 137 })).toEqual({ label: 'Exit 137', tone: 'crit' });
  });
  it('finds the troubled container', () => {
    const p = pod({
      containers: [
        { name: 'a', state: 'running', restarts: 1 },
        { name: 'b', state: 'running', restarts: 5 },
      ],
    });
    expect(troubledContainer(p)?.name).toBe('b');
    expect(troubledContainer(pod({ containers: [{ name: 'x', state: 'running' }] }))).toBeUndefined();
    expect(troubledContainer(pod({ containers: [{ name: 'a', state: 'running' }, { name: 'w', state: 'waiting', reason: 'CrashLoopBackOff' }] }))?.name).toBe('w');
  });
});

describe('filterPods', () => {
  const pods = [
    pod({ name: 'web-1', namespace: 'shop', node: 'n1', phase: 'Running', ready: true, containers: [{ name: 'c', image: 'nginx:1.27' }] }),
    pod({ name: 'web-2', namespace: 'shop', node: 'n2', phase: 'Running', ready: true }),
    pod({ name: 'db-0', namespace: 'data', node: 'n1', phase: 'Pending', pod_ip: '10.1.2.3' }),
    pod({ name: 'job-x', namespace: 'batch', node: 'n2', phase: 'Failed', waiting_reason: '' }),
    pod({ name: 'api', namespace: 'shop', node: 'n1', phase: 'Running', waiting_reason: 'CrashLoopBackOff', restarts: 7 }),
  ];
  const idx = indexPods(pods);
  const names = (f: Partial<typeof EMPTY_FILTER>) => filterPods(idx, { ...EMPTY_FILTER, ...f }).map((p) => p.name);

  it('keeps everything with an empty filter', () => expect(names({})).toHaveLength(5));
  it('by namespace (several)', () => expect(names({ namespaces: ['data', 'batch'] })).toEqual(['db-0', 'job-x']));
  it('by node', () => expect(names({ node: 'n2' })).toEqual(['web-2', 'job-x']));
  it('by phase', () => expect(names({ phases: ['Pending', 'Failed'] })).toEqual(['db-0', 'job-x']));
  it('free text is case-insensitive and ANDs terms', () => {
    expect(names({ text: 'WEB' })).toEqual(['web-1', 'web-2']);
    expect(names({ text: 'web n2' })).toEqual(['web-2']);
    expect(names({ text: 'nginx' })).toEqual(['web-1']);
    expect(names({ text: '10.1.2' })).toEqual(['db-0']);
    expect(names({ text: 'crashloop' })).toEqual(['api']);
    expect(names({ text: '   ' })).toHaveLength(5);
  });
  it('combines filters', () => expect(names({ namespaces: ['shop'], node: 'n1', text: 'web' })).toEqual(['web-1']));
  it('problems only', () => {
    expect(names({ problemsOnly: true })).toEqual(['db-0', 'job-x', 'api']);
    expect(isProblem(pod({ phase: 'Succeeded' }))).toBe(false);
  });
  it('facets count values', () => {
    const f = podFacets(pods);
    expect(f.namespaces).toEqual([
      ['batch', 1],
      ['data', 1],
      ['shop', 3],
    ]);
    expect(f.nodes).toEqual([
      ['n1', 3],
      ['n2', 2],
    ]);
    expect(f.phases.find(([p]) => p === 'Running')).toEqual(['Running', 3]);
  });
  it('handles 10,000 pods', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => pod({ name: `pod-${i}`, namespace: `ns-${i % 20}`, node: `node-${i % 100}`, phase: 'Running' }));
    const big = indexPods(many);
    expect(filterPods(big, { ...EMPTY_FILTER, text: 'pod-99' })).toHaveLength(111);
    expect(filterPods(big, { ...EMPTY_FILTER, namespaces: ['ns-3'] })).toHaveLength(500);
  });
});

describe('nodes', () => {
  it('status', () => {
    expect(nodeStatus(node({ ready: true }))).toEqual({ label: 'Ready', tone: 'ok' });
    expect(nodeStatus(node({ ready: false, ready_status: 'Unknown' }))).toEqual({ label: 'Unknown', tone: 'crit' });
    expect(nodeStatus(node({ ready: true, unschedulable: true }))).toEqual({ label: 'Ready,SchedulingDisabled', tone: 'warn' });
    expect(nodeStatus(node({ ready: false, unschedulable: true })).tone).toBe('crit');
  });
  it('pressures', () => expect(nodePressures(node({ memory_pressure: true, pid_pressure: true }))).toEqual(['MemoryPressure', 'PIDPressure']));
  it('ratio and tone', () => {
    expect(ratio(50, 200)).toBe(0.25);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 5)).toBeNull();
    expect(usageTone(0.5)).toBe('ok');
    expect(usageTone(0.8)).toBe('warn');
    expect(usageTone(0.95)).toBe('crit');
    expect(usageTone(null)).toBe('neutral');
  });
});

describe('workloadStatus', () => {
  it.each<[Partial<Workload>, string]>([
    [{ desired: 3, ready: 3, available: 3, updated: 3 }, 'Available'],
    [{ desired: 3, ready: 1, available: 1, updated: 3 }, 'Degraded'],
    [{ desired: 3, ready: 0, available: 0, updated: 3 }, 'Unavailable'],
    [{ desired: 3, ready: 2, available: 2, updated: 1 }, 'Progressing'],
    [{ desired: 0 }, 'ScaledToZero'],
    [{ desired: 2, progress_deadline_exceeded: true }, 'ProgressDeadlineExceeded'],
    [{ kind: 'StatefulSet', desired: 2, ready: 2 }, 'Available'],
    [{ kind: 'Job', job_status: 'Failed' }, 'Failed'],
    [{ kind: 'Job', active: 1 }, 'Running'],
    [{ kind: 'CronJob', suspend: true }, 'Suspended'],
    [{ kind: 'CronJob', last_job_status: 'Failed' }, 'LastRunFailed'],
  ])('%j → %s', (o, label) => expect(workloadStatus(wl(o)).label).toBe(label));
});

describe('kinds', () => {
  it('are unique and resolvable', () => {
    expect(new Set(KINDS.map((k) => k.resource)).size).toBe(KINDS.length);
    expect(kindByResource('pods')?.kind).toBe('Pod');
    expect(kindByName('CronJob')?.resource).toBe('cronjobs');
    expect(kindByResource('nope')).toBeUndefined();
  });
  it('object keys round-trip', () => {
    expect(objectKey({ namespace: 'a', name: 'b' })).toBe('a/b');
    expect(objectKey({ name: 'node-1' })).toBe('node-1');
    expect(parseObjectKey('a/b')).toEqual({ namespace: 'a', name: 'b' });
    expect(parseObjectKey('node-1')).toEqual({ namespace: '', name: 'node-1' });
    expect(parseObjectKey('a/')).toBeNull();
    expect(parseObjectKey(null)).toBeNull();
  });
});

describe('anomalies', () => {
  it('sorts by severity, then recency', () => {
    const a = (severity: string, last_seen: string): Anomaly => ({ cluster: 'c', fingerprint: severity + last_seen, rule: 'r', severity, state: 'open', ts: last_seen, last_seen });
    const list = [a('info', '2026-01-03'), a('warning', '2026-01-01'), a('critical', '2026-01-01'), a('critical', '2026-01-02')];
    expect(list.sort(compareAnomalies).map((x) => x.fingerprint)).toEqual(['critical2026-01-02', 'critical2026-01-01', 'warning2026-01-01', 'info2026-01-03']);
  });
});

describe('objectLink', () => {
  it('points at the page and drawer of each kind', async () => {
    const { objectLink } = await import('./links');
    expect(objectLink('prod', 'Pod', 'shop', 'web-1')).toBe('/c/prod/pods?pod=shop%2Fweb-1');
    expect(objectLink('prod', 'Node', '', 'n1')).toBe('/c/prod/nodes?node=n1');
    expect(objectLink('prod', 'Deployment', 'shop', 'web')).toBe('/c/prod/workloads?kind=deployments&obj=shop%2Fweb');
    expect(objectLink('prod', 'ReplicaSet', 'shop', 'web-1')).toBe('/c/prod/workloads?kind=replicasets&obj=shop%2Fweb-1');
    expect(objectLink('prod', 'ConfigMap', 'shop', 'x')).toBe('/c/prod/configmaps?obj=shop%2Fx');
    expect(objectLink('prod', 'PersistentVolume', 'ignored', 'pv-1')).toBe('/c/prod/persistentvolumes?obj=pv-1');
    expect(objectLink('prod', 'Nope', 'shop', 'x')).toBeNull();
    expect(objectLink('prod', undefined, 'shop', 'x')).toBeNull();
  });
  it('links every kind the API serves to a page', async () => {
    const { objectLink } = await import('./links');
    for (const k of KINDS) {
      const link = objectLink('c1', k.kind, 'ns', 'x');
      expect(link, k.kind).toMatch(new RegExp(`^/c/c1/${kindPage(k.resource).path}\\?`));
      expect(link, k.kind).toContain(`${kindPage(k.resource).param}=`);
      expect(hasOwnPage(k.resource) || kindPage(k.resource).path === k.resource, k.kind).toBe(true);
    }
  });
});

describe('capacity', () => {
  it('reads documented fields and the nested form', async () => {
    const { capacity } = await import('./summary');
    expect(capacity({ resources: { cpu_request_milli: 5, cpu_allocatable_milli: 6, mem_request_bytes: 7, mem_allocatable_bytes: 8 } })).toEqual({ cpuRequested: 5, cpuAllocatable: 6, memRequested: 7, memAllocatable: 8 });
    expect(capacity(undefined)).toEqual({ cpuRequested: undefined, cpuAllocatable: undefined, memRequested: undefined, memAllocatable: undefined });
    const { unhealthyWorkloads } = await import('./summary');
    expect(unhealthyWorkloads({ total: 5, healthy: 3 })).toBe(2);
    expect(unhealthyWorkloads(undefined)).toBe(0);
  });
});

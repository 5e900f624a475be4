import { describe, expect, it } from 'vitest';
import { rolloutHistory } from './logic';
import { revision, type Workload } from '../../lib/k8s';

const rs = (name: string, created: string): Workload => ({ cluster: 'c', kind: 'ReplicaSet', name, namespace: 'shop', uid: name, ts: created, created_at: created });

describe('rolloutHistory', () => {
  it('orders by revision, newest first, marks the current one, and puts unknown revisions last by age', () => {
    const revs: Record<string, number | undefined> = { a: 1, b: 3, c: 2, d: undefined, e: undefined };
    const rows = rolloutHistory([rs('a', '2026-01-01'), rs('b', '2026-01-03'), rs('c', '2026-01-02'), rs('d', '2026-01-04'), rs('e', '2026-01-05')], (r) => revs[r.name], 2);
    expect(rows.map((r) => r.rs.name)).toEqual(['b', 'c', 'a', 'e', 'd']);
    expect(rows.map((r) => r.current)).toEqual([false, true, false, false, false]);
  });
});

describe('revision', () => {
  it('reads the deployment revision annotation', () => {
    expect(revision({ metadata: { annotations: { 'deployment.kubernetes.io/revision': '4' } } })).toBe(4);
    expect(revision({ metadata: { annotations: { 'deployment.kubernetes.io/revision': 'x' } } })).toBeUndefined();
    expect(revision({ metadata: {} })).toBeUndefined();
    expect(revision(undefined)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { quotaLines } from '../../lib/k8s';
import { namespaceRows } from './logic';
import type { KObject } from '../../lib/k8s';

const o = (x: Partial<KObject>): KObject => ({ cluster: 'c', kind: 'x', name: 'n', uid: x.name ?? 'u', ts: 't', ...x });

describe('quotaLines', () => {
  it('computes used/hard per resource with quantities', () => {
    const lines = quotaLines(o({ name: 'q', hard: { 'requests.cpu': '4', 'requests.memory': '8Gi', pods: '10' }, used: { 'requests.cpu': '500m', 'requests.memory': '6Gi' } }));
    expect(lines.map((l) => [l.resource, l.ratio])).toEqual([
      ['pods', 0],
      ['requests.cpu', 0.125],
      ['requests.memory', 0.75],
    ]);
  });
});

describe('namespaceRows', () => {
  it('joins summaries, quotas and limit ranges', () => {
    const rows = namespaceRows(
      [o({ kind: 'Namespace', name: 'shop', phase: 'Active' }), o({ kind: 'Namespace', name: 'empty' })],
      [{ name: 'shop', pods: { total: 5, running: 4 }, anomalies: { open: 2 } }, { name: 'ghost', pods: { total: 1 } }],
      [o({ kind: 'ResourceQuota', namespace: 'shop', name: 'q1', hard: { pods: '10' }, used: { pods: '9' } })],
      [o({ kind: 'LimitRange', namespace: 'shop', name: 'l' })],
    );
    const shop = rows.find((r) => r.name === 'shop')!;
    expect(shop.summary?.pods?.total).toBe(5);
    expect(shop.quotaMax).toBe(0.9);
    expect(shop.limitRanges).toBe(1);
    expect(rows.find((r) => r.name === 'empty')!.quotaMax).toBeNull();
    // A namespace only the summary knows (e.g. just deleted) still shows.
    expect(rows.map((r) => r.name).sort()).toEqual(['empty', 'ghost', 'shop']);
  });
});

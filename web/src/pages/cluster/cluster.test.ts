import { describe, expect, it } from 'vitest';
import { nodeUsage, trendRows } from './hooks';

describe('nodeUsage', () => {
  it('derives CPU from idle and memory from used/total', () => {
    const u = nodeUsage({ 'cpu.idle_pct': 75, 'mem.used_bytes': 2, 'mem.total_bytes': 8, 'load.1m': 1.5 }, 'n1');
    expect(u).toEqual({ node: 'n1', cpu: 0.25, mem: 0.25, memUsed: 2, memTotal: 8, load1: 1.5 });
  });
  it('falls back to busy parts and available memory', () => {
    const u = nodeUsage({ 'cpu.user_pct': 30, 'cpu.system_pct': 10, 'mem.available_bytes': 6, 'mem.total_bytes': 8 }, 'n');
    expect(u.cpu).toBeCloseTo(0.4);
    expect(u.mem).toBe(0.25);
  });
  it('derives total from used + available', () => {
    expect(nodeUsage({ 'mem.used_bytes': 3, 'mem.available_bytes': 1 }, 'n')).toMatchObject({ mem: 0.75, memTotal: 4 });
  });
  it('is null without metrics', () => {
    expect(nodeUsage({}, 'n')).toMatchObject({ cpu: null, mem: null });
  });
});

describe('trendRows', () => {
  it('maps buckets', () => {
    const rows = trendRows({
      from: 'a',
      to: 'b',
      step_seconds: 3600,
      buckets: [
        { ts: '2026-01-01T00:00:00Z', opened: 2, resolved: 1, active: 5, active_by_severity: { critical: 1, warning: 3, info: 1 } },
        { ts: '2026-01-01T01:00:00Z', opened: 0, resolved: 0, active: 4 },
      ],
    });
    expect(rows[0]).toEqual({ t: Date.UTC(2026, 0, 1), critical: 1, warning: 3, info: 1, opened: 2, resolved: 1 });
    expect(rows[1]).toMatchObject({ critical: 0, warning: 4, info: 0 });
  });
});

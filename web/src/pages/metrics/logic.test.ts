import { describe, expect, it } from 'vitest';
import { fsUsage, latest, naturalCompare, perCoreBusy, toRows, type Series } from './logic';

const s = (metric: string, device: string, points: [number, number][]): Series => ({ metric, device, points: points.map(([t, v]) => [t, v, v, v]) });

describe('toRows', () => {
  it('merges by timestamp and fills gaps with null', () => {
    const { rows, keys } = toRows([s('a', '', [[1, 10], [2, 20]]), s('b', '', [[2, 5], [3, 6]])], (x) => x.metric);
    expect(keys).toEqual(['a', 'b']);
    expect(rows).toEqual([
      { t: 1, a: 10, b: null },
      { t: 2, a: 20, b: 5 },
      { t: 3, a: null, b: 6 },
    ]);
  });
  it('skips series whose key is null and transforms values', () => {
    const { rows, keys } = toRows([s('a', '', [[1, 10]]), s('b', '', [[1, 1]])], (x) => (x.metric === 'a' ? 'A' : null), (v) => v * 2);
    expect(keys).toEqual(['A']);
    expect(rows).toEqual([{ t: 1, A: 20 }]);
  });
});

describe('perCoreBusy', () => {
  it('turns idle into busy per core, sorted naturally', () => {
    const { rows, keys } = perCoreBusy([s('cpu.idle_pct', 'cpu10', [[1, 90]]), s('cpu.idle_pct', 'cpu2', [[1, 25]]), s('cpu.idle_pct', '', [[1, 50]])]);
    expect(keys).toEqual(['cpu2', 'cpu10']);
    expect(rows).toEqual([{ t: 1, cpu10: 10, cpu2: 75 }]);
  });
});

describe('latest and fsUsage', () => {
  it('takes the last finite point', () => {
    expect(latest([s('m', 'd', [[1, 3], [2, Number.NaN]])]).get('m|d')).toBe(3);
  });
  it('computes filesystem use, fullest first', () => {
    const f = fsUsage([s('fs.size_bytes', '/', [[1, 100]]), s('fs.used_bytes', '/', [[1, 50]]), s('fs.size_bytes', '/data', [[1, 10]]), s('fs.used_bytes', '/data', [[1, 9]])]);
    expect(f.map((x) => [x.device, x.ratio])).toEqual([
      ['/data', 0.9],
      ['/', 0.5],
    ]);
  });
  it('natural compare', () => expect(['cpu10', 'cpu9', 'cpu1'].sort(naturalCompare)).toEqual(['cpu1', 'cpu9', 'cpu10']));
});

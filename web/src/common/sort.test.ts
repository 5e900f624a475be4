import { describe, expect, it } from 'vitest';
import { compareValues, parseSort, sortBy, sortString } from './sort';

describe('sortBy', () => {
  it('is numeric-aware for names', () => {
    expect(sortBy(['pod-10', 'pod-2', 'pod-1'], (x) => x)).toEqual(['pod-1', 'pod-2', 'pod-10']);
  });
  it('sorts numbers and descending', () => {
    expect(sortBy([3, 1, 2], (x) => x, true)).toEqual([3, 2, 1]);
  });
  it('keeps missing values last either way', () => {
    const rows = [{ v: 2 }, { v: undefined }, { v: 5 }];
    expect(sortBy(rows, (r) => r.v).map((r) => r.v)).toEqual([2, 5, undefined]);
    expect(sortBy(rows, (r) => r.v, true).map((r) => r.v)).toEqual([5, 2, undefined]);
  });
  it('is stable', () => {
    const rows = [
      { k: 'a', i: 1 },
      { k: 'b', i: 2 },
      { k: 'a', i: 3 },
    ];
    expect(sortBy(rows, (r) => r.k).map((r) => r.i)).toEqual([1, 3, 2]);
  });
  it('compares booleans true first', () => expect(compareValues(true, false)).toBeLessThan(0));
});

describe('sort strings', () => {
  it('round-trips', () => {
    expect(parseSort('-restarts', { id: 'name', desc: false })).toEqual({ id: 'restarts', desc: true });
    expect(parseSort(null, { id: 'name', desc: false })).toEqual({ id: 'name', desc: false });
    expect(sortString({ id: 'age', desc: true })).toBe('-age');
  });
});

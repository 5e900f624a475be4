import { describe, expect, it } from 'vitest';
import { defaultDiffWindow, snapMinute } from './logic';

describe('time travel logic', () => {
  it('diff window ends at the viewed moment, else now', () => {
    expect(defaultDiffWindow(10_000_000, 99)).toEqual({ t1: 10_000_000 - 3_600_000, t2: 10_000_000 });
    expect(defaultDiffWindow(null, 20_000_000)).toEqual({ t1: 20_000_000 - 3_600_000, t2: 20_000_000 });
  });
  it('snaps and clamps', () => {
    expect(snapMinute(125_000, 0, 1e9)).toBe(120_000);
    expect(snapMinute(-5, 60_000, 1e9)).toBe(60_000);
    expect(snapMinute(5e9, 0, 1e9)).toBe(1e9);
  });
});

import { describe, expect, it } from 'vitest';
import {
  alignDown,
  DEFAULT_RANGE,
  durationString,
  fromLocalInput,
  parseDuration,
  parseInstant,
  pickStep,
  rangeFromParams,
  rangeMs,
  rangeToParams,
  resolveRange,
  toLocalInput,
} from './index';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['6h', 21_600_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
  ])('%s', (s, ms) => expect(parseDuration(s)).toBe(ms));
  it.each(['', '0h', '-1h', '1y', 'h', '1.5h', '1 h', null])('rejects %s', (s) => expect(parseDuration(s)).toBeNull());
  it('round-trips', () => {
    for (const s of ['15m', '1h', '24h', '7d', '30d', '45s']) {
      const ms = parseDuration(s)!;
      expect(parseDuration(durationString(ms))).toBe(ms);
    }
    expect(durationString(86_400_000)).toBe('1d');
    expect(durationString(90 * 60_000)).toBe('90m');
  });
});

describe('parseInstant', () => {
  it('accepts ISO and epoch', () => {
    expect(parseInstant('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(parseInstant('1767225600')).toBe(Date.UTC(2026, 0, 1));
    expect(parseInstant('1767225600000')).toBe(Date.UTC(2026, 0, 1));
    expect(parseInstant('garbage')).toBeNull();
    expect(parseInstant(null)).toBeNull();
  });
});

describe('range params', () => {
  it('defaults', () => expect(rangeFromParams(new URLSearchParams())).toEqual(DEFAULT_RANGE));
  it('relative', () => {
    const r = rangeFromParams(new URLSearchParams('range=6h'));
    expect(r).toEqual({ kind: 'relative', preset: '6h', ms: 21_600_000 });
    expect(rangeMs(r)).toBe(21_600_000);
    expect(resolveRange(r, 100_000_000)).toEqual({ from: 100_000_000 - 21_600_000, to: 100_000_000 });
  });
  it('absolute wins over relative', () => {
    const r = rangeFromParams(new URLSearchParams('range=6h&from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z'));
    expect(r).toEqual({ kind: 'absolute', from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 1, 1) });
  });
  it('rejects inverted or too long windows and falls back', () => {
    expect(rangeFromParams(new URLSearchParams('from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z'))).toEqual(DEFAULT_RANGE);
    expect(rangeFromParams(new URLSearchParams('range=90d'))).toEqual(DEFAULT_RANGE);
  });
  it('writes back, preserving other params', () => {
    const p = rangeToParams({ kind: 'relative', preset: '1h', ms: 3_600_000 }, new URLSearchParams('ns=default&from=x&to=y'));
    expect(p.toString()).toBe('ns=default&range=1h');
    const q = rangeToParams({ kind: 'absolute', from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 2) }, p);
    expect(q.get('range')).toBeNull();
    expect(q.get('from')).toBe('2026-01-01T00:00:00.000Z');
    expect(q.get('ns')).toBe('default');
  });
});

describe('pickStep', () => {
  it.each([
    [3_600_000, 240, 10, 30],
    [86_400_000, 240, 10, 600],
    [7 * 86_400_000, 240, 10, 3600],
    [30 * 86_400_000, 240, 10, 10800],
    [900_000, 240, 10, 10],
    [900_000, 240, 60, 60],
  ])('window %d, %d points, min %d → %d', (w, n, min, want) => expect(pickStep(w, n, min)).toBe(want));
  it('keeps points at or under the cap', () => {
    for (const w of [3_600_000, 21_600_000, 86_400_000, 604_800_000, 2_592_000_000]) {
      expect(w / 1000 / pickStep(w, 200)).toBeLessThanOrEqual(200);
    }
  });
});

describe('helpers', () => {
  it('alignDown', () => expect(alignDown(123_456, 60_000)).toBe(120_000));
  it('local input round trip', () => {
    const t = new Date(2026, 4, 6, 7, 8).getTime();
    expect(toLocalInput(t)).toBe('2026-05-06T07:08');
    expect(fromLocalInput('2026-05-06T07:08')).toBe(t);
    expect(fromLocalInput('nope')).toBeNull();
  });
});

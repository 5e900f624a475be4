import { describe, expect, it } from 'vitest';
import {
  byteTicks,
  formatAge,
  formatBytes,
  formatBytesRate,
  formatCompact,
  formatCpuMilli,
  formatDateTime,
  formatDuration,
  formatNumber,
  formatPercent,
  formatRelative,
  formatTime,
  formatUSD,
  NONE,
  parseQuantity,
} from './index';

describe('formatNumber', () => {
  it.each([
    ['en', 1234567, '1,234,567'],
    ['zh', 1234567, '1,234,567'],
    ['ja', 1234567, '1,234,567'],
    ['de', 1234567, '1.234.567'],
  ])('%s %d', (loc, v, want) => expect(formatNumber(loc, v)).toBe(want));
  it('handles missing and non-finite values', () => {
    expect(formatNumber('en', null)).toBe(NONE);
    expect(formatNumber('en', undefined)).toBe(NONE);
    expect(formatNumber('en', Number.NaN)).toBe(NONE);
    expect(formatNumber('en', Infinity)).toBe(NONE);
  });
  it('fraction digits', () => expect(formatNumber('en', 1.23456, 2)).toBe('1.23'));
});

describe('formatCompact', () => {
  it('uses locale notation', () => {
    expect(formatCompact('en', 12345)).toBe('12.3K');
    expect(formatCompact('zh', 12345)).toBe('1.2万');
    expect(formatCompact('ja', 12345)).toBe('1.2万');
  });
});

describe('formatPercent', () => {
  it('formats ratios', () => {
    expect(formatPercent('en', 0.425)).toBe('42.5%');
    expect(formatPercent('en', 1)).toBe('100%');
    expect(formatPercent('en', null)).toBe(NONE);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1,023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [5 * 2 ** 20, '5 MiB'],
    [1.25 * 2 ** 30, '1.3 GiB'],
    [3 * 2 ** 40, '3 TiB'],
    [-2048, '-2 KiB'],
  ])('%d → %s', (v, want) => expect(formatBytes('en', v)).toBe(want));
  it('localizes the number', () => expect(formatBytes('de', 1536)).toBe('1,5 KiB'));
  it('rate', () => expect(formatBytesRate('en', 2048)).toBe('2 KiB/s'));
  it('missing', () => expect(formatBytes('en', undefined)).toBe(NONE));
});

describe('formatCpuMilli', () => {
  it.each([
    [250, '250m'],
    [999, '999m'],
    [1000, '1'],
    [1500, '1.5'],
    [12345, '12.35'],
  ])('%d → %s', (v, want) => expect(formatCpuMilli('en', v)).toBe(want));
});

describe('formatDuration', () => {
  it.each([
    [450, '450ms'],
    [1000, '1s'],
    [65_000, '1m 5s'],
    [3_600_000, '1h'],
    [3_660_000, '1h 1m'],
    [86_400_000 + 2 * 3_600_000 + 5 * 60_000, '1d 2h'],
    [3 * 86_400_000 + 30 * 60_000, '3d'],
  ])('%d → %s', (v, want) => expect(formatDuration('en', v)).toBe(want));
  it('localizes units', () => {
    expect(formatDuration('zh', 86_400_000 + 2 * 3_600_000)).toBe('1天 2小时');
    expect(formatDuration('ja', 86_400_000 + 2 * 3_600_000)).toMatch(/^1\S+ 2\S+$/);
  });
});

describe('formatAge', () => {
  it('measures from creation to now', () => {
    const now = Date.parse('2026-01-02T12:00:00Z');
    expect(formatAge('en', '2026-01-01T10:00:00Z', now)).toBe('1d 2h');
    expect(formatAge('en', null, now)).toBe(NONE);
    expect(formatAge('en', 'not a date', now)).toBe(NONE);
    expect(formatAge('en', '2026-01-03T00:00:00Z', now)).toBe('0ms');
  });
});

describe('dates', () => {
  const t = '2026-03-04T05:06:07Z';
  it('formats in the given zone and locale', () => {
    expect(formatDateTime('en', t, 'UTC')).toBe('Mar 4, 2026, 5:06:07 AM');
    expect(formatDateTime('zh', t, 'UTC')).toBe('2026年3月4日 05:06:07');
    expect(formatDateTime('ja', t, 'UTC')).toBe('2026/03/04 5:06:07');
    expect(formatTime('en', t, false, 'UTC')).toBe('05:06 AM');
  });
  it('missing', () => expect(formatDateTime('en', undefined)).toBe(NONE));
});

describe('formatRelative', () => {
  const now = Date.parse('2026-01-02T12:00:00Z');
  it.each([
    ['en', '2026-01-02T11:55:00Z', '5 minutes ago'],
    ['en', '2026-01-02T14:00:00Z', 'in 2 hours'],
    ['en', '2026-01-02T11:59:58Z', 'now'],
    ['en', '2026-01-01T12:00:00Z', 'yesterday'],
    ['zh', '2026-01-02T11:55:00Z', '5分钟前'],
    ['ja', '2026-01-02T11:55:00Z', '5 分前'],
  ])('%s %s', (loc, v, want) => expect(formatRelative(loc, v, now)).toBe(want));
});

describe('parseQuantity', () => {
  it.each([
    ['250m', 0.25],
    ['2', 2],
    ['1Ki', 1024],
    ['1Gi', 2 ** 30],
    ['1.5Mi', 1.5 * 2 ** 20],
    ['1k', 1000],
    ['3G', 3e9],
    ['1e3', 1000],
  ])('%s', (q, want) => expect(parseQuantity(q)).toBe(want));
  it('rejects junk', () => {
    expect(parseQuantity('abc')).toBeNull();
    expect(parseQuantity('1Xi')).toBeNull();
    expect(parseQuantity(null)).toBeNull();
  });
});

describe('formatUSD', () => {
  it.each([
    [0, '$0.00'],
    [1234.5, '$1,234.50'],
    [0.23, '$0.23'],
    [0.2345, '$0.235'],
    [0.0042, '$0.0042'],
    [0.00001, '<$0.0001'],
    [null, NONE],
  ])('%s → %s', (v, want) => expect(formatUSD('en', v)).toBe(want));
  it('localizes', () => expect(formatUSD('ja-JP', 12.5)).toBe('$12.50'));
});

describe('byteTicks', () => {
  it('round binary steps past the maximum', () => {
    expect(byteTicks(3.9 * 2 ** 20)).toEqual([0, 2 ** 20, 2 * 2 ** 20, 3 * 2 ** 20, 4 * 2 ** 20]);
    expect(byteTicks(900)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(byteTicks(11 * 2 ** 30)).toEqual([0, 5 * 2 ** 30, 10 * 2 ** 30, 15 * 2 ** 30]);
    expect(byteTicks(0)).toEqual([0, 1024]);
  });
  it('label as round numbers', () => {
    expect(byteTicks(1.5 * 2 ** 20).map((v) => formatBytes('en', v))).toEqual(['0 B', '512 KiB', '1 MiB', '1.5 MiB']);
    expect(byteTicks(2.6 * 2 ** 20).map((v) => formatBytes('en', v))).toEqual(['0 B', '1 MiB', '2 MiB', '3 MiB']);
    expect(byteTicks(700).map((v) => formatBytes('en', v))).toEqual(['0 B', '200 B', '400 B', '600 B', '800 B']);
  });
});

import { describe, expect, it } from 'vitest';
import { diffStat, split, toYaml, unified } from './yaml';
import { aroundChange, changeMoments, defaultFrom } from './moments';

describe('toYaml', () => {
  it('keeps key order, does not fold long lines and uses no anchors', () => {
    const shared = { a: 1 };
    const long = 'x'.repeat(200);
    const y = toYaml({ kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { one: shared, two: shared, note: long, list: ['a', 'b'] } });
    expect(y).toBe(`kind: Pod\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  one:\n    a: 1\n  two:\n    a: 1\n  note: ${long}\n  list:\n    - a\n    - b\n`);
  });
  it('is empty for nothing', () => {
    expect(toYaml(null)).toBe('');
    expect(toYaml(undefined)).toBe('');
  });
});

const before = ['a: 1', 'b: 2', 'c: 3', 'd: 4', 'e: 5', 'f: 6', 'g: 7', 'h: 8', 'i: 9', ''].join('\n');
const after = ['a: 1', 'b: 2', 'c: 3', 'd: 4', 'e: 50', 'f: 6', 'g: 7', 'h: 8', 'i: 9', 'j: 10', ''].join('\n');

describe('unified', () => {
  it('keeps context around changes and skips the rest', () => {
    const rows = unified(before, after, 1);
    expect(rows).toEqual([
      { type: 'skip', count: 3 },
      { type: 'same', a: 4, b: 4, text: 'd: 4' },
      { type: 'del', a: 5, text: 'e: 5' },
      { type: 'add', b: 5, text: 'e: 50' },
      { type: 'same', a: 6, b: 6, text: 'f: 6' },
      { type: 'skip', count: 2 },
      { type: 'same', a: 9, b: 9, text: 'i: 9' },
      { type: 'add', b: 10, text: 'j: 10' },
    ]);
  });
  it('shows everything as added when there was nothing before', () => {
    expect(unified('', 'a: 1\n').map((r) => r.type)).toEqual(['add']);
  });
});

describe('split', () => {
  it('puts removed lines beside the lines replacing them', () => {
    const rows = split(before, after, 0);
    expect(rows[0]).toEqual({ skip: 4 });
    expect(rows[1]).toEqual({ left: { no: 5, text: 'e: 5', type: 'del' }, right: { no: 5, text: 'e: 50', type: 'add' } });
    expect(rows[2]).toEqual({ skip: 4 });
    expect(rows[3]).toEqual({ left: undefined, right: { no: 10, text: 'j: 10', type: 'add' } });
  });
});

describe('diffStat', () => {
  it('counts lines', () => expect(diffStat(before, after)).toEqual({ added: 2, removed: 1 }));
  it('is zero for equal texts', () => expect(diffStat(before, before)).toEqual({ added: 0, removed: 0 }));
});

describe('moments', () => {
  const items = [
    { ts: '2026-01-01T10:00:00Z', op: 'add' },
    { ts: '2026-01-01T11:00:00Z', op: 'checkpoint' },
    { ts: '2026-01-01T12:00:00.250Z', op: 'update' },
  ];
  it('lists changes newest first without checkpoints', () => expect(changeMoments(items).map((c) => c.op)).toEqual(['update', 'add']));
  it('compares just before and just after a change, lake microseconds included', () => {
    expect(aroundChange(items[2])).toEqual({ t1: Date.parse('2026-01-01T12:00:00.249Z'), t2: Date.parse('2026-01-01T12:00:00.251Z') });
    const { t1, t2 } = aroundChange({ ts: '2026-12-06T20:45:18.772317Z', op: 'update' });
    expect(t1 < Date.parse('2026-12-06T20:45:18.772Z') && t2 > Date.parse('2026-12-06T20:45:18.772Z') + 0.317).toBe(true);
  });
  it('defaults to before the last change up to t2, else a day back', () => {
    const changes = changeMoments(items);
    expect(defaultFrom(changes, Date.parse('2026-01-01T13:00:00Z'))).toBe(Date.parse('2026-01-01T12:00:00.249Z'));
    expect(defaultFrom(changes, Date.parse('2026-01-01T11:30:00Z'))).toBe(Date.parse('2026-01-01T09:59:59.999Z'));
    expect(defaultFrom(changes, Date.parse('2026-01-01T09:00:00Z'))).toBe(Date.parse('2025-12-31T09:00:00Z'));
  });
});

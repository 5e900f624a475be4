import { stringify } from 'yaml';
import { diffLines } from 'diff';

// YAML of an object and the line diff of two, as pure functions (the
// YAML and diff libraries load with the detail views that use them).

/**
 * The object as YAML, keys in the order the API sent them. No line
 * folding and no anchors, so the text is what kubectl would show and a
 * diff of two moments changes only the lines that changed.
 */
export function toYaml(value: unknown): string {
  if (value === undefined || value === null) return '';
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

export type LineType = 'same' | 'add' | 'del';

/** One line of a unified diff; `skip` rows stand for unchanged lines left out. */
export type UnifiedRow = { type: LineType; a?: number; b?: number; text: string } | { type: 'skip'; count: number };

/** One row of a side-by-side diff: the old line (left) beside the new one (right). */
export type SplitRow = { left?: { no: number; text: string; type: LineType }; right?: { no: number; text: string; type: LineType } } | { skip: number };

function lines(value: string): string[] {
  const out = value.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** Every line of both texts, tagged, with old (a) and new (b) line numbers. */
export function diffRows(before: string, after: string): { type: LineType; a?: number; b?: number; text: string }[] {
  const rows: { type: LineType; a?: number; b?: number; text: string }[] = [];
  let a = 1;
  let b = 1;
  for (const ch of diffLines(before, after)) {
    for (const text of lines(ch.value)) {
      if (ch.added) rows.push({ type: 'add', b: b++, text });
      else if (ch.removed) rows.push({ type: 'del', a: a++, text });
      else rows.push({ type: 'same', a: a++, b: b++, text });
    }
  }
  return rows;
}

/** Unified diff rows keeping `context` unchanged lines around each change. */
export function unified(before: string, after: string, context = 3): UnifiedRow[] {
  const rows = diffRows(before, after);
  const near = new Array<boolean>(rows.length).fill(false);
  rows.forEach((r, i) => {
    if (r.type === 'same') return;
    for (let j = Math.max(0, i - context); j <= Math.min(rows.length - 1, i + context); j++) near[j] = true;
  });
  const out: UnifiedRow[] = [];
  let skipped = 0;
  rows.forEach((r, i) => {
    if (near[i]) {
      if (skipped) out.push({ type: 'skip', count: skipped });
      skipped = 0;
      out.push(r);
    } else skipped++;
  });
  if (skipped) out.push({ type: 'skip', count: skipped });
  return out;
}

/** Side-by-side rows: removed lines beside the added lines that replace them. */
export function split(before: string, after: string, context = 3): SplitRow[] {
  const out: SplitRow[] = [];
  let dels: { no: number; text: string; type: LineType }[] = [];
  let adds: { no: number; text: string; type: LineType }[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++) out.push({ left: dels[i], right: adds[i] });
    dels = [];
    adds = [];
  };
  for (const r of unified(before, after, context)) {
    if (r.type === 'skip') {
      flush();
      out.push({ skip: r.count });
    } else if (r.type === 'del') dels.push({ no: r.a!, text: r.text, type: 'del' });
    else if (r.type === 'add') adds.push({ no: r.b!, text: r.text, type: 'add' });
    else {
      flush();
      out.push({ left: { no: r.a!, text: r.text, type: 'same' }, right: { no: r.b!, text: r.text, type: 'same' } });
    }
  }
  flush();
  return out;
}

/** Lines added and removed. */
export function diffStat(before: string, after: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const ch of diffLines(before, after)) {
    if (ch.added) added += ch.count;
    else if (ch.removed) removed += ch.count;
  }
  return { added, removed };
}

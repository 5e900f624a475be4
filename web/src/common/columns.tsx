import type { ReactNode } from 'react';
import type { Column } from './DataTable';
import type { KeyValueItem } from './KeyValue';
import { Chip, LabelChips, StatusBadge } from './Badge';
import type { Formatters } from '../lib/i18n/useFormat';
import type { KindInfo, Status } from '../lib/k8s';
import { columnShape, phaseTone, type ColumnShape } from './columnShapes';

// Column presets, Headlamp style: the columns every kind has (name,
// namespace, age, labels) and one preset per column of the lake's objects
// table, so a kind's list and detail are composed from the columns the
// registry says it fills (KindInfo.columns) instead of being written out
// page by page. The same preset renders a table cell and a detail field.

export type TFn = (key: string, opts?: Record<string, unknown>) => string;

/** What every object row has. */
export interface MetaRow {
  name: string;
  namespace?: string;
  uid: string;
  created_at?: string;
  labels?: Record<string, string> | null;
  owner_kind?: string;
  owner_name?: string;
}

/** The columns every kind has. `at` is the moment viewed (ages are relative to it). */
export function metaColumns<T extends MetaRow>(t: TFn, fmt: Formatters, at?: number | null) {
  const name: Column<T> = {
    id: 'name',
    header: t('common:field.name'),
    width: 'minmax(14rem,2fr)',
    sortValue: (r) => r.name,
    cell: (r) => <span className="font-medium">{r.name}</span>,
    title: (r) => r.name,
  };
  const namespace: Column<T> = { id: 'namespace', header: t('common:field.namespace'), width: 'minmax(8rem,1fr)', sortValue: (r) => r.namespace, cell: (r) => r.namespace };
  const age: Column<T> = {
    id: 'age',
    header: t('common:field.age'),
    width: '5.5rem',
    align: 'right',
    sortValue: (r) => (r.created_at ? -Date.parse(r.created_at) : undefined),
    cell: (r) => fmt.age(r.created_at, at ?? undefined),
    title: (r) => fmt.dateTime(r.created_at),
  };
  const labels: Column<T> = {
    id: 'labels',
    header: t('common:field.labels'),
    width: 'minmax(12rem,2fr)',
    sortValue: (r) => Object.keys(r.labels ?? {}).length,
    cell: (r) => <span className="font-mono text-xs text-muted">{labelText(r.labels)}</span>,
    title: (r) => labelText(r.labels),
  };
  const owner: Column<T> = {
    id: 'owner',
    header: t('common:field.owner'),
    width: 'minmax(10rem,1.4fr)',
    sortValue: (r) => r.owner_name,
    cell: (r) => (r.owner_kind ? <span className="font-mono text-xs">{`${r.owner_kind}/${r.owner_name}`}</span> : NONE),
  };
  return { name, namespace, age, labels, owner };
}

/** A status column from a status function (workload status, a phase…). */
export function statusColumn<T>(t: TFn, status: (r: T) => Status, width = 'minmax(9rem,1.2fr)'): Column<T> {
  return { id: 'status', header: t('common:field.status'), width, sortValue: (r) => status(r).label, cell: (r) => <StatusBadge status={status(r)} /> };
}

/** A right-aligned count column. */
export function countColumn<T>(id: string, header: string, fmt: Formatters, get: (r: T) => number | null | undefined, width = '6rem'): Column<T> {
  return { id, header, width, align: 'right', sortValue: (r) => get(r) ?? undefined, cell: (r) => fmt.number(get(r) ?? 0) };
}

function labelText(labels?: Record<string, string> | null): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => (v ? `${k}=${v}` : k))
    .join(', ');
}

type Row = Record<string, unknown>;

const NONE = <span className="text-faint">—</span>;

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
}

/** A map column's entries as "key=value", sorted by key. */
export function mapEntries(v: unknown): string[] {
  if (!v || typeof v !== 'object') return [];
  return Object.entries(v as Record<string, unknown>)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, x]) => `${k}=${String(x)}`);
}

function items(shape: ColumnShape, v: unknown): string[] {
  if (shape === 'map') return mapEntries(v);
  if (shape === 'selector') return typeof v === 'string' && v ? v.split(',') : [];
  return Array.isArray(v) ? v.map(String) : [];
}

/** A column value as plain text (search, sorting, tooltips). */
export function columnText(col: string, v: unknown, t: TFn, fmt: Formatters): string {
  const shape = columnShape(col);
  if (isEmpty(v)) return '';
  switch (shape) {
    case 'bytes':
      return fmt.bytes(v as number);
    case 'count':
      return fmt.number(v as number);
    case 'bool':
      return v ? t('common:value.yes') : t('common:value.no');
    case 'list':
    case 'map':
      return items(shape, v).join(', ');
    default:
      return String(v);
  }
}

/** Renders one objects-table column: compact in a table cell, in full as a detail field. */
export function renderColumn(col: string, v: unknown, mode: 'cell' | 'field', t: TFn, fmt: Formatters): ReactNode {
  const shape = columnShape(col);
  if (isEmpty(v)) return mode === 'cell' ? NONE : undefined;
  switch (shape) {
    case 'phase':
      return <StatusBadge status={{ label: String(v), tone: phaseTone(String(v)) }} />;
    case 'chip':
      return <Chip>{String(v)}</Chip>;
    case 'mono':
      return <span className="font-mono text-xs break-all">{String(v)}</span>;
    case 'selector':
      return mode === 'cell' ? <span className="font-mono text-xs text-muted">{String(v)}</span> : <LabelChips labels={items(shape, v)} max={30} />;
    case 'list':
    case 'map':
      return mode === 'cell' ? (
        <span className="font-mono text-xs">{items(shape, v).join(', ')}</span>
      ) : (
        <ul className="font-mono text-xs">
          {items(shape, v).map((x) => (
            <li key={x} data-item>
              {x}
            </li>
          ))}
        </ul>
      );
    default:
      return columnText(col, v, t, fmt);
  }
}

function sortValue(col: string, v: unknown): string | number | undefined {
  if (isEmpty(v)) return undefined;
  switch (columnShape(col)) {
    case 'bytes':
    case 'count':
      return v as number;
    case 'bool':
      return v ? 1 : 0;
    case 'list':
      return String((v as unknown[])[0]);
    case 'map':
      return Object.keys(v as object).length;
    default:
      return String(v);
  }
}

/** The header of an objects-table column. */
export function columnHeader(col: string, t: TFn): string {
  return t(`common:column.${col}`, { defaultValue: col });
}

/** The preset column for one column of the objects table. */
export function objectColumn<T>(col: string, t: TFn, fmt: Formatters): Column<T> {
  const get = (r: T) => (r as Row)[col];
  const shape = columnShape(col);
  return {
    id: col,
    header: columnHeader(col, t),
    width: WIDTH[shape],
    align: shape === 'count' || shape === 'bytes' ? 'right' : undefined,
    sortValue: (r) => sortValue(col, get(r)),
    cell: (r) => renderColumn(col, get(r), 'cell', t, fmt),
    title: (r) => columnText(col, get(r), t, fmt) || undefined,
  };
}

const WIDTH: Record<ColumnShape, string> = {
  text: 'minmax(8rem,1fr)',
  mono: 'minmax(9rem,1.3fr)',
  chip: '8rem',
  phase: '8rem',
  selector: 'minmax(10rem,1.5fr)',
  list: 'minmax(10rem,1.6fr)',
  map: 'minmax(12rem,2fr)',
  count: '6.5rem',
  bytes: '7rem',
  bool: '6rem',
};

/**
 * A kind's list columns: name, namespace (namespaced kinds), the columns
 * the registry says it fills, labels when it fills none, and age.
 */
export function kindColumns<T extends MetaRow>(info: KindInfo, t: TFn, fmt: Formatters, at?: number | null): Column<T>[] {
  const m = metaColumns<T>(t, fmt, at);
  const own = (info.columns ?? []).map((c) => objectColumn<T>(c, t, fmt));
  return [m.name, ...(info.namespaced ? [m.namespace] : []), ...own, ...(own.length ? [] : [m.labels]), m.age];
}

/** A kind's own fields for its detail view, one per column the registry says it fills. */
export function kindFields(info: KindInfo, o: object, t: TFn, fmt: Formatters): KeyValueItem[] {
  return (info.columns ?? []).map((c) => [columnHeader(c, t), renderColumn(c, (o as Row)[c], 'field', t, fmt), c]);
}

/** Text the list search matches for a kind's own columns. */
export function kindSearchText(info: KindInfo, o: object, t: TFn, fmt: Formatters): string {
  return (info.columns ?? []).map((c) => columnText(c, (o as Row)[c], t, fmt)).join(' ');
}


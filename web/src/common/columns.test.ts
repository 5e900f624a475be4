import { describe, expect, it } from 'vitest';
import { KINDS, kindByResource } from '../lib/k8s/kinds';
import { formatBytes, formatNumber } from '../lib/format';
import { columnShape, phaseTone, referenced, SHAPED_COLUMNS } from './columnShapes';
import { columnText, kindColumns, mapEntries } from './columns';
import type { Formatters } from '../lib/i18n/useFormat';
import en from './locales/en.json';
import zh from './locales/zh.json';
import ja from './locales/ja.json';

const fmt = { bytes: (v: number) => formatBytes('en', v), number: (v: number) => formatNumber('en', v), age: () => '1d', dateTime: () => '' } as unknown as Formatters;
const t = (k: string) => k;

describe('column presets', () => {
  it('cover every column the registry says a kind fills, with a header in every language', () => {
    for (const k of KINDS) {
      for (const c of k.columns ?? []) {
        expect(SHAPED_COLUMNS, `${k.kind}.${c}`).toContain(c);
        for (const l of [en, zh, ja]) expect((l.column as Record<string, string>)[c], `${k.kind}.${c}`).toBeTruthy();
      }
    }
  });
  it('compose a kind’s list columns from the registry', () => {
    const ids = (r: string) => kindColumns(kindByResource(r)!, t, fmt).map((c) => c.id);
    expect(ids('persistentvolumeclaims')).toEqual(['name', 'namespace', 'phase', 'storage_class', 'capacity_bytes', 'access_modes', 'volume_name', 'age']);
    expect(ids('storageclasses')).toEqual(['name', 'provisioner', 'reclaim_policy', 'volume_binding_mode', 'allow_volume_expansion', 'default_class', 'age']);
    // A kind with no columns of its own shows its labels.
    expect(ids('secrets')).toEqual(['name', 'namespace', 'labels', 'age']);
  });
  it('render values as text', () => {
    expect(columnText('capacity_bytes', 53687091200, t, fmt)).toBe('50 GiB');
    expect(columnText('ready_endpoints', 1234, t, fmt)).toBe('1,234');
    expect(columnText('default_class', true, t, fmt)).toBe('common:value.yes');
    expect(columnText('default_class', false, t, fmt)).toBe('common:value.no');
    expect(columnText('hosts', ['a.example', 'b.example'], t, fmt)).toBe('a.example, b.example');
    expect(columnText('hard', { pods: '10', 'requests.cpu': '4' }, t, fmt)).toBe('pods=10, requests.cpu=4');
    expect(columnText('phase', '', t, fmt)).toBe('');
    expect(columnText('some_new_column', 'x', t, fmt)).toBe('x');
  });
  it('sort map entries by key', () => expect(mapEntries({ b: 1, a: 'x' })).toEqual(['a=x', 'b=1']));
  it('shape unknown columns as text', () => expect(columnShape('nope')).toBe('text'));
  it('colour phases', () => {
    expect(phaseTone('Bound')).toBe('ok');
    expect(phaseTone('Pending')).toBe('warn');
    expect(phaseTone('Lost')).toBe('crit');
    expect(phaseTone('Whatever')).toBe('neutral');
  });
  it('resolve references to other objects', () => {
    expect(referenced('volume_name', 'pv-1', 'shop')).toEqual({ kind: 'PersistentVolume', namespace: 'shop', name: 'pv-1' });
    expect(referenced('claim_ref', 'data/db-0', undefined)).toEqual({ kind: 'PersistentVolumeClaim', namespace: 'data', name: 'db-0' });
    expect(referenced('scale_target', 'Deployment/web', 'shop')).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'web' });
    expect(referenced('claim_ref', 'nonamespace', undefined)).toBeNull();
    expect(referenced('hosts', 'x', 'shop')).toBeNull();
    expect(referenced('volume_name', '', 'shop')).toBeNull();
  });
});

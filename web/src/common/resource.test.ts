import { describe, expect, it } from 'vitest';
import { filterObjects, namespaceFacet } from './resource';

describe('resource list helpers', () => {
  const rows = [
    { namespace: 'a', name: 'web', type: 'ClusterIP' },
    { namespace: 'b', name: 'db', type: 'NodePort' },
    { namespace: 'a', name: 'cache', type: 'NodePort' },
  ];
  it('facets', () =>
    expect(namespaceFacet(rows)).toEqual([
      ['a', 2],
      ['b', 1],
    ]));
  it('filters by namespace and text (incl. extra fields)', () => {
    expect(filterObjects(rows, ['a'], '').map((r) => r.name)).toEqual(['web', 'cache']);
    expect(filterObjects(rows, [], 'nodeport', (r) => r.type).map((r) => r.name)).toEqual(['db', 'cache']);
    expect(filterObjects(rows, ['a'], 'node', (r) => r.type).map((r) => r.name)).toEqual(['cache']);
  });
});

import { describe, expect, it } from 'vitest';
import { joinEndpoints, noEndpoints } from './logic';
import type { KObject } from '../../lib/k8s';

const o = (x: Partial<KObject>): KObject => ({ cluster: 'c', kind: 'Service', name: 'n', uid: x.name ?? 'u', ts: 't', ...x });

describe('joinEndpoints', () => {
  it('sums slices per service', () => {
    const rows = joinEndpoints(
      [o({ namespace: 'a', name: 'web', selector: 'app=web' }), o({ namespace: 'a', name: 'db', selector: 'app=db' }), o({ namespace: 'a', name: 'ext', type: 'ExternalName' })],
      [
        o({ kind: 'EndpointSlice', namespace: 'a', name: 'web-1', service_name: 'web', ready_endpoints: 2, not_ready_endpoints: 1 }),
        o({ kind: 'EndpointSlice', namespace: 'a', name: 'web-2', service_name: 'web', ready_endpoints: 1 }),
        o({ kind: 'EndpointSlice', namespace: 'b', name: 'web-x', service_name: 'web', ready_endpoints: 9 }),
      ],
    );
    expect(rows.map((r) => [r.name, r.endpointsReady, r.endpointsNotReady])).toEqual([
      ['web', 3, 1],
      ['db', undefined, undefined],
      ['ext', undefined, undefined],
    ]);
    expect(rows.map(noEndpoints)).toEqual([false, true, false]);
  });
});

import type { KObject } from '../../lib/k8s';

export interface ServiceRow extends KObject {
  /** Ready / not-ready endpoints summed over the service's EndpointSlices; undefined when none exist. */
  endpointsReady?: number;
  endpointsNotReady?: number;
}

/** Joins EndpointSlices onto their Services (by namespace + service_name). */
export function joinEndpoints(services: KObject[], slices: KObject[]): ServiceRow[] {
  const agg = new Map<string, { ready: number; notReady: number }>();
  for (const s of slices) {
    if (!s.service_name) continue;
    const key = `${s.namespace}/${s.service_name}`;
    const a = agg.get(key) ?? { ready: 0, notReady: 0 };
    a.ready += s.ready_endpoints ?? 0;
    a.notReady += s.not_ready_endpoints ?? 0;
    agg.set(key, a);
  }
  return services.map((svc) => {
    const a = agg.get(`${svc.namespace}/${svc.name}`);
    return { ...svc, endpointsReady: a?.ready, endpointsNotReady: a?.notReady };
  });
}

/** A Service with a selector but no ready endpoint sends traffic nowhere. */
export function noEndpoints(s: ServiceRow): boolean {
  return !!s.selector && s.type !== 'ExternalName' && (s.endpointsReady ?? 0) === 0;
}

import { kindByName, objectKey } from './kinds';

/** Where the UI shows an object of a kind (list page with its drawer open); null when no page shows that kind. */
export function objectLink(cluster: string, kind: string | undefined, namespace: string | undefined, name: string | undefined): string | null {
  if (!kind || !name) return null;
  const key = encodeURIComponent(objectKey({ namespace, name }));
  const c = encodeURIComponent(cluster);
  switch (kind) {
    case 'Pod':
      return `/c/${c}/pods?pod=${key}`;
    case 'Node':
      return `/c/${c}/nodes?node=${encodeURIComponent(name)}`;
    case 'Service':
      return `/c/${c}/services?obj=${key}`;
    case 'Ingress':
      return `/c/${c}/ingresses?obj=${key}`;
    case 'Namespace':
      return `/c/${c}/namespaces?obj=${encodeURIComponent(name)}`;
    default: {
      const k = kindByName(kind);
      if (k && ['deployments', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs'].includes(k.resource)) return `/c/${c}/workloads?kind=${k.resource}&obj=${key}`;
      return null;
    }
  }
}

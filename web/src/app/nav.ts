import type { LucideIcon } from 'lucide-react';
import {
  Activity,
  Boxes,
  Clock,
  Database,
  FileCog,
  Gauge,
  Globe,
  HardDrive,
  History,
  KeyRound,
  LayoutDashboard,
  Layers,
  Network,
  Server,
  Settings,
  ShieldCheck,
  Siren,
  SquareTerminal,
  Target,
  TriangleAlert,
  Users,
  ScrollText,
} from 'lucide-react';
import type { Role } from '../lib/auth/session';
import { KINDS, KIND_CATEGORIES, WORKLOAD_KINDS, isWorkload, kindPage, type KindCategory } from '../lib/k8s/kinds';

export interface NavItem {
  id: string;
  /** i18n key in the "app" namespace. */
  label: string;
  /** Entries of the kind groups have none (their group has one), as in Headlamp's sidebar. */
  icon?: LucideIcon;
  /** Path; `:cluster` is filled with the current cluster. */
  to: string;
  role?: Role;
  /** Comes with a later release: shown, marked "soon", leads to a page saying what it will do. */
  planned?: boolean;
  /** For entries sharing a page: whether the page's query selects this one. */
  selects?: (query: URLSearchParams) => boolean;
}

export interface NavSection {
  id: string;
  label: string;
  cluster?: boolean;
  /** Can be folded away (the kind groups); it opens by itself while one of its pages is shown. */
  collapsible?: boolean;
  icon?: LucideIcon;
  items: NavItem[];
}

// The kinds listed in the Cluster section keep an icon like its other entries.
const CLUSTER_KIND_ICON: Record<string, LucideIcon> = { nodes: Server, namespaces: Layers };
const CATEGORY_ICON: Record<KindCategory, LucideIcon> = { cluster: Server, workloads: Boxes, network: Network, storage: HardDrive, config: FileCog, access: KeyRound };

/** The navigation entries of a kind category, from the registry: every kind, in registry order. */
export function kindItems(category: KindCategory): NavItem[] {
  return KINDS.filter((k) => k.category === category).map((k) => {
    const icon = category === 'cluster' ? (CLUSTER_KIND_ICON[k.resource] ?? CATEGORY_ICON.cluster) : undefined;
    const item: NavItem = { id: k.resource, label: `k8s:kinds.${k.kind}`, icon, to: `/c/:cluster/${kindPage(k.resource).path}` };
    if (isWorkload(k.resource)) {
      // The Workloads page shows its first kind when none is named.
      const first = k.resource === WORKLOAD_KINDS[0];
      if (!first) item.to += `?kind=${k.resource}`;
      item.selects = (q) => (q.get('kind') ?? WORKLOAD_KINDS[0]) === k.resource;
    }
    return item;
  });
}

// The whole product's navigation. Planned entries keep their place so the
// layout does not shift when operations, SLOs, alerts and settings arrive.
export const NAV: NavSection[] = [
  { id: 'fleet', label: 'nav.fleet', items: [{ id: 'fleet', label: 'nav.fleetOverview', icon: Globe, to: '/fleet' }] },
  {
    id: 'cluster',
    label: 'nav.cluster',
    cluster: true,
    items: [
      { id: 'overview', label: 'nav.overview', icon: LayoutDashboard, to: '/c/:cluster' },
      ...kindItems('cluster'),
      { id: 'anomalies', label: 'nav.anomalies', icon: TriangleAlert, to: '/c/:cluster/anomalies' },
      { id: 'metrics', label: 'nav.metrics', icon: Activity, to: '/c/:cluster/metrics' },
      { id: 'timetravel', label: 'nav.timetravel', icon: History, to: '/c/:cluster/timetravel' },
      { id: 'cluster-operations', label: 'nav.clusterOperations', icon: SquareTerminal, to: '/c/:cluster/operations' },
    ],
  },
  // One group per kind category, every kind of the registry in it.
  ...KIND_CATEGORIES.filter((c) => c !== 'cluster').map((c) => ({ id: c, label: `nav.category.${c}`, cluster: true, collapsible: true, icon: CATEGORY_ICON[c], items: kindItems(c) })),
  {
    id: 'explore',
    label: 'nav.explore',
    items: [{ id: 'sql', label: 'nav.sql', icon: Database, to: '/sql' }],
  },
  {
    id: 'operate',
    label: 'nav.operate',
    items: [
      { id: 'operations', label: 'nav.operations', icon: SquareTerminal, to: '/operations' },
      { id: 'slos', label: 'nav.slos', icon: Target, to: '/slos', planned: true },
      { id: 'alerts', label: 'nav.alerts', icon: Siren, to: '/alerts', planned: true },
    ],
  },
  {
    id: 'admin',
    label: 'nav.admin',
    items: [
      { id: 'users', label: 'nav.users', icon: Users, to: '/admin/users', role: 'admin' },
      { id: 'audit', label: 'nav.audit', icon: ScrollText, to: '/admin/audit', role: 'admin' },
      { id: 'system', label: 'nav.system', icon: HardDrive, to: '/admin/system', role: 'admin' },
      { id: 'settings', label: 'nav.settings', icon: Settings, to: '/settings', planned: true },
    ],
  },
];

export const PLANNED_ICONS = { operations: SquareTerminal, slos: Target, alerts: Siren, settings: Settings, clock: Clock, gauge: Gauge, shield: ShieldCheck };

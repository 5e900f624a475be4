import type { LucideIcon } from 'lucide-react';
import {
  Activity,
  Box,
  Boxes,
  Clock,
  Database,
  Gauge,
  Globe,
  HardDrive,
  History,
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

export interface NavItem {
  id: string;
  /** i18n key in the "app" namespace. */
  label: string;
  icon: LucideIcon;
  /** Path; `:cluster` is filled with the current cluster. */
  to: string;
  role?: Role;
  /** Comes with a later release: shown, marked "soon", leads to a page saying what it will do. */
  planned?: boolean;
}

export interface NavSection {
  id: string;
  label: string;
  cluster?: boolean;
  items: NavItem[];
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
      { id: 'nodes', label: 'nav.nodes', icon: Server, to: '/c/:cluster/nodes' },
      { id: 'pods', label: 'nav.pods', icon: Box, to: '/c/:cluster/pods' },
      { id: 'workloads', label: 'nav.workloads', icon: Boxes, to: '/c/:cluster/workloads' },
      { id: 'services', label: 'nav.services', icon: Network, to: '/c/:cluster/services' },
      { id: 'ingresses', label: 'nav.ingresses', icon: Globe, to: '/c/:cluster/ingresses' },
      { id: 'namespaces', label: 'nav.namespaces', icon: Layers, to: '/c/:cluster/namespaces' },
      { id: 'anomalies', label: 'nav.anomalies', icon: TriangleAlert, to: '/c/:cluster/anomalies' },
      { id: 'metrics', label: 'nav.metrics', icon: Activity, to: '/c/:cluster/metrics' },
      { id: 'timetravel', label: 'nav.timetravel', icon: History, to: '/c/:cluster/timetravel' },
    ],
  },
  {
    id: 'explore',
    label: 'nav.explore',
    items: [{ id: 'sql', label: 'nav.sql', icon: Database, to: '/sql' }],
  },
  {
    id: 'operate',
    label: 'nav.operate',
    items: [
      { id: 'operations', label: 'nav.operations', icon: SquareTerminal, to: '/operations', planned: true },
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

import { lazy } from 'react';
import { createHashRouter, Navigate } from 'react-router';
import { Layout } from './Layout';
import { ClusterScope } from './ClusterScope';
import { RequireAuth, RequireRole } from './guards';
import { hasOwnPage, KINDS } from '../lib/k8s/kinds';

// Every page is its own chunk: first load carries only the shell, and a
// page's code (and its charts or editor) arrives when it is opened.
const LoginPage = lazy(() => import('../pages/login/LoginPage'));
const FleetPage = lazy(() => import('../pages/fleet/FleetPage'));
const ClusterPage = lazy(() => import('../pages/cluster/ClusterPage'));
const PodsPage = lazy(() => import('../pages/pods/PodsPage'));
const NodesPage = lazy(() => import('../pages/nodes/NodesPage'));
const WorkloadsPage = lazy(() => import('../pages/workloads/WorkloadsPage'));
const ServicesPage = lazy(() => import('../pages/services/ServicesPage'));
const IngressesPage = lazy(() => import('../pages/ingresses/IngressesPage'));
const NamespacesPage = lazy(() => import('../pages/namespaces/NamespacesPage'));
const KindPage = lazy(() => import('../pages/kinds/KindPage'));
const AnomaliesPage = lazy(() => import('../pages/anomalies/AnomaliesPage'));
const MetricsPage = lazy(() => import('../pages/metrics/MetricsPage'));
const TimeTravelPage = lazy(() => import('../pages/timetravel/TimeTravelPage'));
const SqlPage = lazy(() => import('../pages/sql/SqlPage'));
const UsersPage = lazy(() => import('../pages/admin/UsersPage'));
const AuditPage = lazy(() => import('../pages/admin/AuditPage'));
const SystemPage = lazy(() => import('../pages/system/SystemPage'));
const OperationsPage = lazy(() => import('../pages/operations/OperationsPage'));
const PlannedPage = lazy(() => import('../pages/planned/PlannedPage'));
const NotFoundPage = lazy(() => import('../pages/planned/NotFoundPage'));

// Hash routing: deep links work on any static host without rewrite rules.
export const router = createHashRouter([
  { path: '/login', element: <LoginPage /> },
  {
    path: '/',
    element: (
      <RequireAuth>
        <Layout />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <Navigate to="/fleet" replace /> },
      { path: 'fleet', element: <FleetPage /> },
      {
        path: 'c/:cluster',
        element: <ClusterScope />,
        children: [
          { index: true, element: <ClusterPage /> },
          { path: 'pods', element: <PodsPage /> },
          { path: 'nodes', element: <NodesPage /> },
          { path: 'workloads', element: <WorkloadsPage /> },
          { path: 'services', element: <ServicesPage /> },
          { path: 'ingresses', element: <IngressesPage /> },
          { path: 'namespaces', element: <NamespacesPage /> },
          { path: 'anomalies', element: <AnomaliesPage /> },
          { path: 'metrics', element: <MetricsPage /> },
          { path: 'timetravel', element: <TimeTravelPage /> },
          { path: 'operations', element: <OperationsPage /> },
          // Every other kind of the registry, at its resource name.
          ...KINDS.filter((k) => !hasOwnPage(k.resource)).map((k) => ({ path: k.resource, element: <KindPage key={k.resource} resource={k.resource} /> })),
        ],
      },
      { path: 'sql', element: <SqlPage /> },
      {
        path: 'admin/users',
        element: (
          <RequireRole role="admin">
            <UsersPage />
          </RequireRole>
        ),
      },
      {
        path: 'admin/audit',
        element: (
          <RequireRole role="admin">
            <AuditPage />
          </RequireRole>
        ),
      },
      {
        path: 'admin/system',
        element: (
          <RequireRole role="admin">
            <SystemPage />
          </RequireRole>
        ),
      },
      { path: 'operations', element: <OperationsPage /> },
      { path: 'slos', element: <PlannedPage feature="slos" /> },
      { path: 'alerts', element: <PlannedPage feature="alerts" /> },
      { path: 'settings', element: <PlannedPage feature="settings" /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);

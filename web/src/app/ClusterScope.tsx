import { Outlet } from 'react-router';
import { useClusterId } from '../lib/url';
import { useWatchCluster } from '../lib/watch';

/** Every view of one cluster: while one is shown (and the tab visible), the cluster is watched. */
export function ClusterScope() {
  useWatchCluster(useClusterId());
  return <Outlet />;
}

import { useQuery } from '@tanstack/react-query';
import { api } from '../../lib/api';
import { useRefetchInterval } from '../../lib/refresh';

/** The self-monitoring report; a handful of small conditional GETs on the API's side, so it follows the page's refresh interval. */
export function useSystemUsage() {
  const refetchInterval = useRefetchInterval();
  return useQuery({ queryKey: ['system', 'usage'], queryFn: ({ signal }) => api.systemUsage(signal), refetchInterval });
}

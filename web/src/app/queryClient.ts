import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../lib/api/http';

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        gcTime: 5 * 60_000,
        refetchOnWindowFocus: true,
        // Only transient failures are worth retrying; a 4xx will not change.
        retry: (n, e) => n < 2 && e instanceof ApiError && e.transient,
        retryDelay: (n, e) => (e instanceof ApiError && e.retryAfter ? e.retryAfter * 1000 : Math.min(8000, 1000 * 2 ** n)),
      },
      mutations: { retry: false },
    },
  });
}

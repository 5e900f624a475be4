import { ApiError } from '../../lib/api/http';

/** Only same-app paths are allowed as the post-login destination (no open redirect). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return '/fleet';
  return next;
}

/** Which message a failed login shows. */
export function loginError(err: unknown): { key: 'credentials' | 'locked' | 'unreachable' | 'unavailable' | 'generic'; seconds?: number } {
  if (!(err instanceof ApiError)) return { key: 'generic' };
  if (err.status === 401 || err.status === 400) return { key: 'credentials' };
  if (err.status === 429) return { key: 'locked', seconds: err.retryAfter ?? 60 };
  if (err.code === 'network') return { key: 'unreachable' };
  if (err.status === 503) return { key: 'unavailable' };
  return { key: 'generic' };
}

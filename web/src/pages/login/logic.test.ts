import { describe, expect, it } from 'vitest';
import { ApiError } from '../../lib/api/http';
import { loginError, safeNext } from './logic';

describe('safeNext', () => {
  it.each([
    [null, '/fleet'],
    ['/c/prod/pods?ns=a', '/c/prod/pods?ns=a'],
    ['//evil.example', '/fleet'],
    ['https://evil.example', '/fleet'],
    ['/login?next=/x', '/fleet'],
  ])('%s → %s', (n, want) => expect(safeNext(n)).toBe(want));
});

describe('loginError', () => {
  it('maps API errors to messages', () => {
    expect(loginError(new ApiError(401, 'unauthorized', 'bad'))).toEqual({ key: 'credentials' });
    expect(loginError(new ApiError(429, 'rate_limited', 'slow', { retryAfter: 30 }))).toEqual({ key: 'locked', seconds: 30 });
    expect(loginError(new ApiError(0, 'network', 'x'))).toEqual({ key: 'unreachable' });
    expect(loginError(new ApiError(503, 'store_unavailable', 'x'))).toEqual({ key: 'unavailable' });
    expect(loginError(new Error('x'))).toEqual({ key: 'generic' });
  });
});

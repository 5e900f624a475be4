import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The client revalidates what it holds: the second call of an unchanged
// list sends If-None-Match, gets a 304 without a body and returns the very
// object it held (items untouched), with the as_of the 304 brought.

let user = 'alice';
vi.mock('../auth/session', () => ({
  accessToken: async () => 'tok',
  refresh: async () => null,
  clearSession: () => {},
  currentUserKey: () => user,
}));

type Seen = { url: string; headers: Record<string, string>; cache?: RequestCache };

describe('conditional requests', () => {
  const realFetch = globalThis.fetch;
  const seen: Seen[] = [];
  let answer: () => Response;
  beforeEach(() => {
    seen.length = 0;
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push({ url: String(input), headers: (init?.headers ?? {}) as Record<string, string>, cache: init?.cache });
      return answer();
    }) as typeof fetch;
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('sends If-None-Match and turns a 304 into the held answer with the new as_of', async () => {
    const { api } = await import('./index');
    const { serverNow } = await import('./http');
    const body = { items: [{ name: 'a' }, { name: 'b' }], total: 2, as_of: '2026-12-06T10:00:00Z' };
    answer = () => new Response(JSON.stringify(body), { status: 200, headers: { ETag: 'W/"v1"', 'Content-Type': 'application/json', Date: 'Sun, 06 Dec 2026 10:00:30 GMT' } });
    const first = await api.pods('c1', { limit: 10 });
    expect(seen[0].headers['If-None-Match']).toBeUndefined();
    expect(seen[0].cache).toBe('no-store');

    answer = () => new Response(null, { status: 304, headers: { ETag: 'W/"v1"', 'X-AtlHyper-As-Of': '2026-12-06T10:00:25Z', Date: 'Sun, 06 Dec 2026 10:00:31 GMT' } });
    const second = await api.pods('c1', { limit: 10 });
    expect(seen[1].headers['If-None-Match']).toBe('W/"v1"');
    expect(second.items).toBe(first.items);
    expect(second.as_of).toBe('2026-12-06T10:00:25Z');
    // The server's clock (Date), not the browser's, is "now".
    expect(Math.abs(serverNow() - Date.parse('2026-12-06T10:00:31.5Z'))).toBeLessThan(2000);

    // Another query is another URL: nothing to revalidate.
    answer = () => new Response(JSON.stringify(body), { status: 200, headers: { ETag: 'W/"v2"' } });
    await api.pods('c1', { limit: 20 });
    expect(seen[2].headers['If-None-Match']).toBeUndefined();
  });

  it('holds nothing across users', async () => {
    const { api } = await import('./index');
    answer = () => new Response(JSON.stringify({ items: [] }), { status: 200, headers: { ETag: 'W/"n1"' } });
    await api.nodes('c2', { limit: 5 });
    user = 'bob';
    await api.nodes('c2', { limit: 5 });
    expect(seen[1].headers['If-None-Match']).toBeUndefined();
  });

  it('a 304 nobody asked for is an error', async () => {
    const { send } = await import('./http');
    answer = () => new Response(null, { status: 304 });
    await expect(send('GET', '/api/v1/x')).rejects.toMatchObject({ status: 304 });
  });
});

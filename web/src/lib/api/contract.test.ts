import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error plain JS module without types
import { generate } from '../../../scripts/gen-api.mjs';

// The client must only use what the API's OpenAPI document declares. These
// tests read the document itself (not the generated types) and fail when the
// client calls a path or method the document lacks, or when the generated
// file is stale.

vi.mock('../auth/session', () => ({
  accessToken: async () => 'test-token',
  refresh: async () => null,
  clearSession: () => {},
  currentUserKey: () => 'test-user',
}));

const SPEC = resolve(__dirname, '../../../../functions/api/openapi.yaml');
const doc = parse(readFileSync(SPEC, 'utf8'));
const documented: { method: string; re: RegExp; template: string }[] = [];
for (const [path, item] of Object.entries<Record<string, unknown>>(doc.paths)) {
  for (const m of ['get', 'post', 'put', 'patch', 'delete']) {
    if (!item[m]) continue;
    const re = new RegExp('^' + path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+') + '$');
    documented.push({ method: m.toUpperCase(), re, template: path });
  }
}
const isDocumented = (method: string, path: string) => documented.some((d) => d.method === method && d.re.test(path));

describe('generated schema', () => {
  it('is up to date with functions/api/openapi.yaml', () => {
    const onDisk = readFileSync(resolve(__dirname, 'schema.gen.ts'), 'utf8');
    expect(onDisk === generate(doc), 'run `npm run gen`').toBe(true);
  });
});

describe('client calls', () => {
  const seen: { method: string; path: string; query: URLSearchParams }[] = [];
  const realFetch = globalThis.fetch;
  beforeAll(() => {
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const u = new URL(String(input), 'http://api.test');
      seen.push({ method: init?.method ?? 'GET', path: u.pathname, query: u.searchParams });
      return new Response('{"items":[]}', { status: 200, headers: { 'Content-Type': 'application/json' } });
    }) as typeof fetch;
  });
  afterAll(() => {
    globalThis.fetch = realFetch;
  });

  it('every api function hits a documented method + path with documented query parameters', async () => {
    const { api } = await import('./index');
    const entries = Object.entries(api) as [string, (...a: unknown[]) => Promise<unknown>][];
    expect(entries.length).toBeGreaterThan(30);
    for (const [name, fn] of entries) {
      const before = seen.length;
      // Strings for path parameters; an object for query/body (with one
      // made-up field removed: we check documented names below).
      const args = Array.from({ length: fn.length }, (_, i) => (i < fn.length - 1 || fn.length === 1 ? `p${i}` : {}));
      // Functions whose last parameter is a body or query object take {} there.
      if (/^(createUser|changePassword|sql|sqlDownload)$/.test(name)) args[0] = { sql: 'select 1', username: 'u', password: 'x', role: 'viewer' };
      if (name === 'sqlDownload') args[1] = 'csv';
      if (name === 'updateUser') args[1] = { role: 'viewer' };
      if (name === 'objects' || name === 'object') args[0] = 'services';
      try {
        await fn(...args);
      } catch {
        /* the fake answers {"items":[]}; shape errors don't matter here */
      }
      expect(seen.length, `${name} made no request`).toBe(before + 1);
      const req = seen[seen.length - 1];
      expect(isDocumented(req.method, req.path), `${name}: ${req.method} ${req.path} is not in openapi.yaml`).toBe(true);
    }
  });

  it('sends only documented query parameters', async () => {
    const { api } = await import('./index');
    await api.pods('c1', { namespace: 'default', q: 'web', phase: 'Running', limit: 1000, at: '-1h' });
    const req = seen[seen.length - 1];
    const op = doc.paths['/api/v1/clusters/{cluster}/pods'].get;
    const names = new Set(
      op.parameters.map((p: { $ref?: string; name?: string }) => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()!].name : p.name)),
    );
    for (const k of req.query.keys()) expect(names.has(k), k).toBe(true);
  });
});

describe('no side doors', () => {
  const SRC = resolve(__dirname, '../..');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|tsx)$/.test(f) && !/\.test\.tsx?$/.test(f) && !f.endsWith('.gen.ts')) files.push(p);
    }
  };
  walk(SRC);

  it('only lib/api/http.ts and lib/config.ts call fetch', () => {
    const offenders = files.filter((f) => /\bfetch\(/.test(readFileSync(f, 'utf8')) && !/lib\/api\/http\.ts$|lib\/config\.ts$/.test(f));
    expect(offenders).toEqual([]);
  });

  it('every /api/v1 path written in the source is documented', () => {
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/['"`](\/api\/v1\/[^'"`?]*)/g)) {
        const p = m[1].replace(/\$\{[^}]+\}/g, 'x');
        expect(
          documented.some((d) => d.re.test(p)),
          `${f}: ${m[1]}`,
        ).toBe(true);
      }
    }
  });
});

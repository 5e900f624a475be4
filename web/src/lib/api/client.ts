import { buildPath, send, ApiError, type QueryValue } from './http';
import { OPERATIONS, type OperationId, type Operations } from './schema.gen';
import { accessToken, clearSession, currentUserKey, refresh } from '../auth/session';

// The one way the app talks to the API: every call names an operationId
// from the OpenAPI document (schema.gen.ts is generated from it), so paths,
// methods, parameters and response types all come from the document.

type Args<K extends OperationId> = (keyof Operations[K]['pathParams'] extends never
  ? { path?: undefined }
  : { path: Operations[K]['pathParams'] }) &
  ({} extends Operations[K]['query'] ? { query?: Operations[K]['query'] } : { query: Operations[K]['query'] }) &
  ([Operations[K]['body']] extends [never] ? { body?: undefined } : { body: Operations[K]['body'] }) & {
    signal?: AbortSignal;
  };

export type Response<K extends OperationId> = Operations[K]['response'];

async function exchange<K extends OperationId>(op: K, args: Args<K>, accept?: string, ifNoneMatch?: (url: string) => string | undefined): Promise<{ res: globalThis.Response; url: string }> {
  const def = OPERATIONS[op];
  const url = buildPath(def.path, args.path as Record<string, string> | undefined, args.query as Record<string, QueryValue> | undefined);
  const needsAuth = def.role !== null;
  const token = needsAuth ? await accessToken() : null;
  if (needsAuth && !token) throw new ApiError(401, 'unauthorized', 'not logged in');
  const etag = ifNoneMatch?.(url);
  try {
    return { res: await send(def.method, url, { body: args.body, token, signal: args.signal, accept, ifNoneMatch: etag }), url };
  } catch (e) {
    // An access token can be refused early (clock skew, revoked by a role
    // change): refresh once and retry; if that fails, the session is over.
    if (needsAuth && e instanceof ApiError && e.status === 401) {
      const s = await refresh().catch(() => null);
      if (!s) {
        clearSession();
        throw e;
      }
      return { res: await send(def.method, url, { body: args.body, token: s.accessToken, signal: args.signal, accept, ifNoneMatch: etag }), url };
    }
    throw e;
  }
}

/**
 * The answers we hold, by URL, to revalidate with If-None-Match: an
 * unchanged refresh is a 304 of a few hundred bytes and gives back the
 * very object we hold (no parse, no re-render). A list's 304 brings its
 * new as_of in a header. Kept for the last URLs used, dropped at logout.
 */
const held = new Map<string, { etag: string; data: unknown }>();
const HELD_MAX = 300;
let heldFor: string | null = null;

export const AS_OF_HEADER = 'X-AtlHyper-As-Of';

function hold(url: string, etag: string, data: unknown) {
  held.delete(url);
  held.set(url, { etag, data });
  if (held.size > HELD_MAX) held.delete(held.keys().next().value!);
}

/** Calls an operation and decodes its JSON response. */
export async function call<K extends OperationId>(op: K, args: Args<K>): Promise<Response<K>> {
  const cacheable = OPERATIONS[op].method === 'GET' && OPERATIONS[op].role !== null;
  if (cacheable) {
    const who = currentUserKey();
    if (who !== heldFor) {
      held.clear(); // another user (or none): nothing held is theirs
      heldFor = who;
    }
  }
  const { res, url } = await exchange(op, args, undefined, cacheable ? (u) => held.get(u)?.etag : undefined);
  if (res.status === 204) return undefined as Response<K>;
  if (res.status === 304) {
    const h = held.get(url)!;
    hold(url, h.etag, h.data);
    const asOf = res.headers.get(AS_OF_HEADER);
    const d = h.data as { as_of?: string };
    if (asOf && d && typeof d === 'object' && d.as_of !== asOf) {
      // Same data, known to be recent up to a later moment.
      h.data = { ...d, as_of: asOf };
    }
    return h.data as Response<K>;
  }
  let data: Response<K>;
  try {
    data = (await res.json()) as Response<K>;
  } catch {
    throw new ApiError(res.status, 'bad_response', 'the API answered with something that is not JSON');
  }
  const etag = res.headers.get('ETag');
  if (cacheable && etag) hold(url, etag, data);
  return data;
}

/** Calls an operation for a file (CSV, Parquet) and returns it with the server's file name. */
export async function download<K extends OperationId>(op: K, args: Args<K>, accept: string): Promise<{ blob: Blob; filename: string | null }> {
  const { res } = await exchange(op, args, accept);
  const cd = res.headers.get('Content-Disposition') ?? '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  return { blob: await res.blob(), filename: m ? decodeURIComponent(m[1]) : null };
}

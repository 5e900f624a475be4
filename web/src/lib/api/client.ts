import { buildPath, send, ApiError, type QueryValue } from './http';
import { OPERATIONS, type OperationId, type Operations } from './schema.gen';
import { accessToken, clearSession, refresh } from '../auth/session';

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

async function exchange<K extends OperationId>(op: K, args: Args<K>, accept?: string): Promise<globalThis.Response> {
  const def = OPERATIONS[op];
  const url = buildPath(def.path, args.path as Record<string, string> | undefined, args.query as Record<string, QueryValue> | undefined);
  const needsAuth = def.role !== null;
  const token = needsAuth ? await accessToken() : null;
  if (needsAuth && !token) throw new ApiError(401, 'unauthorized', 'not logged in');
  try {
    return await send(def.method, url, { body: args.body, token, signal: args.signal, accept });
  } catch (e) {
    // An access token can be refused early (clock skew, revoked by a role
    // change): refresh once and retry; if that fails, the session is over.
    if (needsAuth && e instanceof ApiError && e.status === 401) {
      const s = await refresh().catch(() => null);
      if (!s) {
        clearSession();
        throw e;
      }
      return send(def.method, url, { body: args.body, token: s.accessToken, signal: args.signal, accept });
    }
    throw e;
  }
}

/** Calls an operation and decodes its JSON response. */
export async function call<K extends OperationId>(op: K, args: Args<K>): Promise<Response<K>> {
  const res = await exchange(op, args);
  if (res.status === 204) return undefined as Response<K>;
  try {
    return (await res.json()) as Response<K>;
  } catch {
    throw new ApiError(res.status, 'bad_response', 'the API answered with something that is not JSON');
  }
}

/** Calls an operation for a file (CSV, Parquet) and returns it with the server's file name. */
export async function download<K extends OperationId>(op: K, args: Args<K>, accept: string): Promise<{ blob: Blob; filename: string | null }> {
  const res = await exchange(op, args, accept);
  const cd = res.headers.get('Content-Disposition') ?? '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  return { blob: await res.blob(), filename: m ? decodeURIComponent(m[1]) : null };
}

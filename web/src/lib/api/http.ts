import { config } from '../config';

// The transport: URL building, fetch, and turning the API's error envelope
// ({"error":{"code","message","field","request_id"}}) into ApiError. Auth is
// layered on top in client.ts; this module knows nothing about tokens
// beyond sending one.

export type ErrorCode =
  | 'bad_request'
  | 'invalid_parameter'
  | 'unauthorized'
  | 'token_expired'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'too_many_queries'
  | 'timeout'
  | 'store_unavailable'
  | 'audit_unavailable'
  | 'corrupt_object'
  | 'internal'
  // client-side codes
  | 'network'
  | 'bad_response';

export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | string;
  readonly field?: string;
  readonly requestId?: string;
  /** Seconds, from Retry-After on 429/503. */
  readonly retryAfter?: number;

  constructor(status: number, code: string, message: string, extra: { field?: string; requestId?: string; retryAfter?: number } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = extra.field;
    this.requestId = extra.requestId;
    this.retryAfter = extra.retryAfter;
  }

  /** Worth retrying automatically (server busy or store briefly unreachable). */
  get transient(): boolean {
    return this.status === 0 || this.status === 503 || this.code === 'too_many_queries' || this.status === 502 || this.status === 504;
  }
}

export type QueryValue = string | number | boolean | null | undefined;

/** Fills {placeholders} (each URL-encoded) and appends the non-empty query parameters. */
export function buildPath(template: string, pathParams: Record<string, string> = {}, query: Record<string, QueryValue> = {}): string {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = pathParams[name];
    if (v === undefined || v === '') throw new Error(`missing path parameter ${name} for ${template}`);
    return encodeURIComponent(v);
  });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export function apiUrl(pathAndQuery: string): string {
  return config().apiBase + pathAndQuery;
}

function parseRetryAfter(h: string | null): number | undefined {
  if (!h) return undefined;
  const n = Number(h);
  if (Number.isFinite(n)) return Math.max(0, n);
  const t = Date.parse(h);
  return Number.isFinite(t) ? Math.max(0, Math.round((t - Date.now()) / 1000)) : undefined;
}

export async function errorFrom(res: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(res.headers.get('Retry-After'));
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON (a proxy's HTML error page, say) */
  }
  const e = (body as { error?: { code?: string; message?: string; field?: string; request_id?: string } } | null)?.error;
  if (e && typeof e.code === 'string') {
    return new ApiError(res.status, e.code, e.message ?? e.code, { field: e.field, requestId: e.request_id, retryAfter });
  }
  return new ApiError(res.status, res.status >= 500 ? 'internal' : 'bad_response', `HTTP ${res.status} ${res.statusText}`.trim(), { retryAfter });
}

export interface SendOptions {
  body?: unknown;
  token?: string | null;
  signal?: AbortSignal;
  accept?: string;
  /** The ETag of the copy we hold: a 304 is then an answer, not an error. */
  ifNoneMatch?: string;
}

// The server's clock, from the Date header of its answers: how far behind
// the cluster a list is must not depend on the browser's clock.
let serverOffsetMs = 0;

/** Records the server's clock from an answer's Date header. */
export function noteServerDate(date: string | null, receivedAt = Date.now()): void {
  const t = date ? Date.parse(date) : NaN;
  // Date has whole seconds: the server's time is in [t, t+1s); take the middle.
  if (Number.isFinite(t)) serverOffsetMs = t + 500 - receivedAt;
}

/** Now, on the server's clock (ms). */
export function serverNow(): number {
  return Date.now() + serverOffsetMs;
}

/** One HTTP exchange; throws ApiError for non-2xx (but a 304 asked for) and for network failures. */
export async function send(method: string, pathAndQuery: string, opts: SendOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.ifNoneMatch) headers['If-None-Match'] = opts.ifNoneMatch;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    // no-store: the client keeps its own copies (client.ts), so a 304
    // reaches it and the browser does not store every answer twice.
    res = await fetch(apiUrl(pathAndQuery), { method, headers, body, signal: opts.signal, credentials: 'omit', cache: method === 'GET' ? 'no-store' : undefined });
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', (err as Error)?.message || 'network error');
  }
  noteServerDate(res.headers.get('Date'));
  if (res.status === 304 && opts.ifNoneMatch) return res;
  if (!res.ok) throw await errorFrom(res);
  return res;
}

// Runtime configuration, fetched from config.json beside index.html before
// the app renders, so one build serves every deployment: the operator edits
// config.json (or the local stack writes it), never rebuilds.

export interface RuntimeConfig {
  /** Base URL of the API functions, without the /api/v1 suffix. "" = same origin. */
  apiBase: string;
  /** Optional product name shown in the header (white-labelling). */
  title?: string;
}

const DEFAULTS: RuntimeConfig = { apiBase: '' };

let current: RuntimeConfig = DEFAULTS;

/** Validates a parsed config.json; unknown fields are ignored. */
export function parseConfig(raw: unknown): RuntimeConfig {
  if (raw === null || typeof raw !== 'object') throw new Error('config.json must hold a JSON object');
  const o = raw as Record<string, unknown>;
  const apiBase = o.apiBase ?? '';
  if (typeof apiBase !== 'string') throw new Error('config.json: apiBase must be a string');
  if (apiBase !== '' && !/^https?:\/\/[^\s]+$/.test(apiBase) && !apiBase.startsWith('/')) {
    throw new Error(`config.json: apiBase must be an http(s) URL or a path, got "${apiBase}"`);
  }
  const title = typeof o.title === 'string' && o.title.trim() ? o.title.trim() : undefined;
  return { apiBase: apiBase.replace(/\/+$/, ''), title };
}

export async function loadConfig(url = './config.json'): Promise<RuntimeConfig> {
  const res = await fetch(url, { cache: 'no-cache' });
  if (res.status === 404) {
    current = DEFAULTS; // same-origin API: a config file is optional
    return current;
  }
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  current = parseConfig(await res.json());
  return current;
}

export function config(): RuntimeConfig {
  return current;
}

/** For tests and the bench's mock. */
export function setConfig(c: RuntimeConfig): void {
  current = c;
}

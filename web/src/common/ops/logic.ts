// Remote operations in the dashboard: pure helpers for the action bar,
// the confirm dialog, the command's live status and the history. Every
// action, role and state comes from the API (GET /actions, the commands
// routes); these only arrange it.
import type { Schemas } from '../../lib/api';

export type ActionInfo = Schemas['ActionCatalog']['items'][number];
export type Command = Schemas['Command'];
export type CommandDetail = Schemas['CommandDetail'];
export type CommandState = Schemas['CommandState'];
export type Target = Schemas['CommandTarget'];

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: the command id and idempotency key, made once per dialog so a retried submit is the same command. */
export function ulid(now = Date.now(), rand: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  let t = Math.floor(now);
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const r = rand(16);
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[r[i] & 31];
  return time + random;
}

/** The actions that apply to a kind and that the caller's role may ask for, in catalog order. */
export function actionsFor(catalog: ActionInfo[] | undefined, kind: string): ActionInfo[] {
  return (catalog ?? []).filter((a) => a.allowed && a.kinds.includes(kind));
}

export const FINAL_STATES: CommandState[] = ['succeeded', 'failed', 'refused', 'unknown', 'cancelled', 'expired', 'not_queued'];
export const ALL_STATES: CommandState[] = ['pending', 'running', ...FINAL_STATES];

export function isFinal(state: string | undefined): boolean {
  return !!state && (FINAL_STATES as string[]).includes(state);
}

/** How often to poll a command: fast while it waits or runs, not at all once it ended. */
export function pollInterval(state: string | undefined): number | false {
  if (!state) return 1500;
  return isFinal(state) ? false : state === 'running' ? 1000 : 1500;
}

export function stateTone(state: string): 'ok' | 'warn' | 'crit' | 'info' | 'neutral' {
  switch (state) {
    case 'succeeded':
      return 'ok';
    case 'failed':
    case 'refused':
    case 'unknown':
      return 'crit';
    case 'expired':
    case 'not_queued':
      return 'warn';
    case 'pending':
    case 'running':
      return 'info';
  }
  return 'neutral';
}

/** "Deployment shop/web" — how a target reads in the dialog and the history. */
export function targetText(t: Target): string {
  return `${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}${t.container ? ` (${t.container})` : ''}`;
}

/** The kind of input a parameter takes (mirrors the API's checks; the API has the final word). */
export function paramType(name: string): 'int' | 'bool' | 'string' {
  if (name === 'previous' || name === 'delete_emptydir_data' || name === 'force') return 'bool';
  if (name === 'container' || name === 'image') return 'string';
  return 'int';
}

/** Form values → the request's params: empty fields left out, numbers as numbers. */
export function buildParams(action: ActionInfo, values: Record<string, string | boolean>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const p of action.params) {
    const v = values[p];
    if (v === undefined || v === '' || v === false) continue;
    if (paramType(p) === 'int') {
      const n = Number(v);
      out[p] = Number.isFinite(n) && String(v).trim() !== '' ? n : v; // the API names a bad value
    } else out[p] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

export const MAX_REASON = 500;

/** Why a reason cannot be sent yet, or null. */
export function reasonProblem(reason: string): 'empty' | 'long' | null {
  const r = reason.trim();
  if (!r) return 'empty';
  if ([...r].length > MAX_REASON) return 'long';
  return null;
}

/** Output lines containing a search (case-insensitive); all lines when the search is empty. */
export function filterLines(text: string, search: string): { lines: string[]; matched: number; total: number } {
  const all = text.split('\n');
  if (all.length && all[all.length - 1] === '') all.pop();
  const q = search.trim().toLowerCase();
  const lines = q ? all.filter((l) => l.toLowerCase().includes(q)) : all;
  return { lines, matched: lines.length, total: all.length };
}

/** When a command ended or, while it has not, when it was asked for: the history's time column. */
export function whenOf(c: Command): string {
  return c.finished_at ?? c.created_at;
}

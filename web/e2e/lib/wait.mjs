import { setInterval as every } from 'node:timers/promises';

/**
 * Polls fn until it returns a truthy value, which it returns; past the
 * deadline it throws, naming what it waited for.
 */
export async function until(what, fn, timeoutMs = 60_000, everyMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let v = await fn();
  if (v) return v;
  for await (const _ of every(everyMs)) {
    v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
  }
}

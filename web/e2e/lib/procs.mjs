// Process helpers for the e2e harness and the bench: free ports, child
// processes with log files, health waits, and a teardown that kills every
// process the harness started (by process group, by pid — never by name).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createWriteStream } from 'node:fs';

const children = new Set();

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs a command to completion; rejects with its log tail on failure. */
export function run(cmd, args, { cwd, env, log, timeoutMs = 15 * 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const out = log ? createWriteStream(log, { flags: 'a' }) : null;
    const p = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.add(p);
    let tail = '';
    const keep = (d) => {
      out?.write(d);
      tail = (tail + d.toString()).slice(-4000);
    };
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    const timer = setTimeout(() => {
      killTree(p);
      reject(new Error(`${cmd} ${args.join(' ')}: timed out after ${timeoutMs / 1000}s\n${tail}`));
    }, timeoutMs);
    p.on('error', (e) => {
      clearTimeout(timer);
      children.delete(p);
      reject(e);
    });
    p.on('exit', (code, sig) => {
      clearTimeout(timer);
      children.delete(p);
      out?.end();
      if (code === 0) resolve(tail);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? sig}\n${tail}`));
    });
  });
}

/** Starts a long-running process in its own process group, logging to a file. */
export function start(cmd, args, { cwd, env, log } = {}) {
  const out = createWriteStream(log, { flags: 'a' });
  const p = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  p.stdout.pipe(out);
  p.stderr.pipe(out);
  children.add(p);
  p.on('exit', () => children.delete(p));
  return p;
}

function killTree(p, signal = 'SIGTERM') {
  if (p.exitCode !== null || p.signalCode !== null) return;
  try {
    process.kill(-p.pid, signal); // its whole process group (go run → child binary)
  } catch {
    try {
      p.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** Stops every started process: SIGTERM, then SIGKILL after a grace period. */
export async function stopAll(graceMs = 5000) {
  const list = [...children];
  for (const p of list) killTree(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (list.some((p) => p.exitCode === null && p.signalCode === null) && Date.now() < deadline) await sleep(100);
  for (const p of list) killTree(p, 'SIGKILL');
  children.clear();
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls url until it answers 200 (or the process dies, or time runs out). */
export async function waitHealthy(url, { proc, timeoutMs = 120_000, log } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc && (proc.exitCode !== null || proc.signalCode !== null)) throw new Error(`process exited (${proc.exitCode ?? proc.signalCode}) before ${url} was healthy; see ${log}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await sleep(250);
  }
  throw new Error(`${url} not healthy after ${timeoutMs / 1000}s (${last}); see ${log}`);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    await stopAll(1000);
    process.exit(130);
  });
}

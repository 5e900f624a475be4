// The real local stack for end-to-end tests: the API server (built from
// functions/cmd/api) on a file:// store filled by the fleet simulator
// (agent/cmd/sim; the functions/fleetgen generator when the simulator is
// absent) and then compacted and inventoried once by the scheduler
// (functions/cmd/scheduler), serving the built dashboard from web/dist on
// the same origin.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { freePort, run, start, waitHealthy } from './procs.mjs';
import { until } from './wait.mjs';

export const WEB = resolve(import.meta.dirname, '../..');
export const ROOT = resolve(WEB, '..');

function log(msg) {
  console.log(`e2e: ${msg}`);
}

/**
 * A command signing key pair (docs/api.md, Operations): the API's
 * "kid=base64 seed" and the agents' "kid=base64 public key".
 */
function commandKeys() {
  const seed = randomBytes(32);
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]); // PKCS#8 of an Ed25519 seed
  const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' }).subarray(-32);
  return { signing: `e2e=${seed.toString('base64')}`, public: `e2e=${pub.toString('base64')}` };
}

/** A password the API accepts: long, varied, not containing the username. */
function password() {
  return `Pw-${randomBytes(9).toString('base64url')}-2026!`;
}

async function fillStore(dir, work, logFile) {
  const url = `file://${dir}`;
  const sim = join(ROOT, 'agent/cmd/sim');
  if (existsSync(sim) && process.env.E2E_DATA !== 'fleetgen') {
    log('filling the store with the fleet simulator (agent/cmd/sim)');
    const bin = join(work, 'sim');
    await run('go', ['build', '-o', bin, './agent/cmd/sim'], { cwd: ROOT, log: logFile });
    const args = (process.env.E2E_SIM_ARGS ?? '--store {store} --clusters 3 --nodes 6 --pods 240 --start -6h15m --speed 600 --duration 6h --log-level warn').replaceAll('{store}', url).split(/\s+/).filter(Boolean);
    await run(bin, args, { cwd: ROOT, log: logFile, timeoutMs: 10 * 60_000 });
    return 'simulator';
  }
  log('agent/cmd/sim not available: filling the store with functions/fleetgen (web/e2e/fleetfill.go)');
  await run('go', ['run', './web/e2e/fleetfill.go', '--store', url], { cwd: ROOT, log: logFile });
  return 'fleetgen';
}

/**
 * Runs the scheduled jobs once, as the scheduler would (compaction, then
 * the lake inventory), so the System page has job runs and an inventory.
 */
async function runJobs(url, work, logFile) {
  log('running the scheduled jobs once (functions/cmd/scheduler --once compact, inventory)');
  const bin = join(work, 'scheduler');
  await run('go', ['build', '-o', bin, './functions/cmd/scheduler'], { cwd: ROOT, log: logFile });
  const scratch = join(work, 'cache');
  mkdirSync(scratch, { recursive: true });
  for (const job of ['compact', 'inventory']) {
    await run(bin, ['--store', url, '--once', job, '--work-dir', scratch], { cwd: ROOT, log: logFile, timeoutMs: 5 * 60_000 });
  }
}

/**
 * Starts the stack, or — with E2E_BASE_URL, E2E_ADMIN_USER and
 * E2E_ADMIN_PASSWORD set — uses one that is already running.
 */
export async function startStack({ build = true } = {}) {
  if (process.env.E2E_BASE_URL) {
    const s = { baseUrl: process.env.E2E_BASE_URL.replace(/\/$/, ''), admin: { user: process.env.E2E_ADMIN_USER ?? 'admin', password: process.env.E2E_ADMIN_PASSWORD }, external: true };
    s.viewer = await ensureViewer(s);
    return s;
  }
  const work = mkdtempSync(join(tmpdir(), 'atlhyper-e2e-'));
  const logs = join(work, 'logs');
  mkdirSync(logs);
  log(`work dir ${work}`);
  if (build && process.env.E2E_SKIP_BUILD !== '1') {
    log('building the web (npm run build)');
    await run('npm', ['run', 'build'], { cwd: WEB, log: join(logs, 'web-build.log') });
  }
  if (!existsSync(join(WEB, 'dist/index.html'))) throw new Error('web/dist missing: run npm run build');
  log('building the API (go build ./functions/cmd/api)');
  const api = join(work, 'api');
  await run('go', ['build', '-o', api, './functions/cmd/api'], { cwd: ROOT, log: join(logs, 'api-build.log') });

  const keys = commandKeys();
  // The real cluster starts first: its control plane comes up while the
  // simulator fills the store.
  const real = process.env.E2E_REAL !== '0' ? await startRealCluster(work, logs, keys) : null;

  const lake = join(work, 'lake');
  mkdirSync(lake);
  const source = await fillStore(lake, work, join(logs, 'data.log'));
  await runJobs(`file://${lake}`, work, join(logs, 'scheduler.log'));

  const port = await freePort();
  const admin = { user: 'admin', password: password() };
  const env = {
    ATLHYPER_COMMAND_SIGNING_KEY: keys.signing,
    ATLHYPER_JWT_SECRET: randomBytes(32).toString('hex'),
    ATLHYPER_ADMIN_USER: admin.user,
    ATLHYPER_ADMIN_PASSWORD: admin.password,
    ATLHYPER_BCRYPT_COST: '4',
  };
  const apiLog = join(logs, 'api.log');
  log(`starting the API on 127.0.0.1:${port}`);
  const proc = start(api, ['--listen', `127.0.0.1:${port}`, '--store', `file://${lake}`, '--cache-dir', join(work, 'cache'), '--web', join(WEB, 'dist')], { cwd: ROOT, env, log: apiLog });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitHealthy(`${baseUrl}/api/v1/health`, { proc, log: apiLog });
  // Same origin: the dashboard's config.json must say apiBase "".
  const cfg = JSON.parse(readFileSync(join(WEB, 'dist/config.json'), 'utf8'));
  if (cfg.apiBase) writeFileSync(join(WEB, 'dist/config.json'), JSON.stringify({ ...cfg, apiBase: '' }, null, 2));
  const s = { baseUrl, admin, work, logs, source, apiLog };
  if (source === 'simulator' && process.env.E2E_LIVE !== '0') {
    // One live, idle cluster: the real agent keeps writing heartbeats (and,
    // once someone watches it, its tail) while the scenarios run.
    log('starting a live, idle cluster (agent/cmd/sim --prefix live --speed 1)');
    start(join(work, 'sim'), ['--store', `file://${lake}`, '--clusters', '1', '--prefix', 'live', '--nodes', '3', '--pods', '24', '--speed', '1',
      '--incidents-per-hour', '0.0001', '--node-metrics=false', '--log-level', 'warn'], { cwd: ROOT, log: join(logs, 'live.log'), env: { ATLHYPER_COMMAND_PUBLIC_KEYS: keys.public } });
    s.live = 'live-1';
  }
  if (real) s.real = await startRealAPI(real, api, env, work, logs);
  s.viewer = await ensureViewer(s);
  return s;
}

/**
 * Builds the agent and web/e2e/realcluster.go and starts the latter: real
 * MinIO, a real control plane with kwok nodes and the scenario's objects,
 * and the real agent binary watching it with a kubeconfig (E2E_REAL=0
 * skips it). Returns what startRealAPI waits for.
 */
async function startRealCluster(work, logs, keys) {
  log('building the agent and the real cluster (web/e2e/realcluster.go)');
  const agent = join(work, 'agent');
  const bin = join(work, 'realcluster');
  await run('go', ['build', '-o', agent, './agent/cmd/agent'], { cwd: ROOT, log: join(logs, 'real-build.log') });
  await run('go', ['build', '-o', bin, './web/e2e/realcluster.go'], { cwd: ROOT, log: join(logs, 'real-build.log') });
  const dir = join(work, 'real');
  mkdirSync(dir);
  const out = join(dir, 'real.json');
  const logFile = join(logs, 'real.log');
  log('starting the real cluster: MinIO, control plane, agent (logs/real.log)');
  const proc = start(bin, ['--dir', dir, '--agent', agent, '--public-keys', keys.public, '--out', out], { cwd: ROOT, log: logFile });
  return { proc, out, logFile };
}

/**
 * Waits for the real cluster and starts a second API on its MinIO store,
 * with the same secrets as the first (same admin, same command key).
 */
async function startRealAPI(real, apiBin, env, work, logs) {
  await until('the real cluster (logs/real.log)', async () => {
    if (real.proc.exitCode !== null) throw new Error(`realcluster exited ${real.proc.exitCode}:\n${readFileSync(real.logFile, 'utf8').slice(-3000)}`);
    return existsSync(real.out);
  }, 6 * 60_000, 500);
  const info = JSON.parse(readFileSync(real.out, 'utf8'));
  const port = await freePort();
  const storeEnv = Object.fromEntries(info.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const apiLog = join(logs, 'api-real.log');
  log(`starting a second API on the real cluster's MinIO store, 127.0.0.1:${port}`);
  const proc = start(apiBin, ['--listen', `127.0.0.1:${port}`, '--store', info.store, '--cache-dir', join(work, 'cache-real'), '--web', join(WEB, 'dist')],
    { cwd: ROOT, env: { ...env, ...storeEnv }, log: apiLog });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitHealthy(`${baseUrl}/api/v1/health`, { proc, log: apiLog });
  return { ...info, baseUrl, apiLog };
}

async function api(baseUrl, method, path, token, body) {
  const r = await fetch(baseUrl + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

export async function login(baseUrl, user, pass) {
  const r = await api(baseUrl, 'POST', '/api/v1/auth/login', null, { username: user, password: pass });
  if (r.status !== 200) throw new Error(`login ${user}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.access_token;
}

/** A viewer account for the role scenarios, created by the admin through the API. */
async function ensureViewer(s) {
  const token = await login(s.baseUrl, s.admin.user, s.admin.password);
  const viewer = { user: 'e2e-viewer', password: password() };
  const r = await api(s.baseUrl, 'POST', '/api/v1/users', token, { username: viewer.user, password: viewer.password, role: 'viewer' });
  if (r.status === 409) {
    const u = await api(s.baseUrl, 'PATCH', `/api/v1/users/${viewer.user}`, token, { password: viewer.password, disabled: false, role: 'viewer' });
    if (u.status !== 200) throw new Error(`reset viewer: HTTP ${u.status}`);
  } else if (r.status !== 201) throw new Error(`create viewer: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return viewer;
}

export { api };

// A small mock of the API for the benchmark only: serves web/dist and the
// handful of endpoints the pods page calls, with N generated pods. The
// e2e tests use the real API; this exists so the bench measures the
// browser, not a backend.
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, extname, normalize } from 'node:path';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };
const PHASES = ['Running', 'Running', 'Running', 'Running', 'Running', 'Running', 'Pending', 'Succeeded', 'Failed'];
const WAITING = ['', '', '', '', '', '', '', '', 'CrashLoopBackOff', 'ImagePullBackOff'];

export function makePods(n, cluster = 'bench') {
  const pods = [];
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < n; i++) {
    const ns = `ns-${String(i % 40).padStart(2, '0')}`;
    const app = `app-${String(Math.floor(i / 40) % 60).padStart(2, '0')}`;
    const phase = PHASES[Math.floor(rnd() * PHASES.length)];
    const waiting = phase === 'Running' ? WAITING[Math.floor(rnd() * WAITING.length)] : '';
    pods.push({
      cluster,
      kind: 'Pod',
      ts: new Date(Date.now() - 60_000).toISOString(),
      namespace: ns,
      name: `${app}-${(i * 2654435761 >>> 0).toString(16).slice(0, 8)}-${(i % 97).toString(36)}`,
      uid: `uid-${i}`,
      created_at: new Date(Date.now() - Math.floor(rnd() * 30 * 86_400_000)).toISOString(),
      phase,
      node: `node-${String(i % 200).padStart(3, '0')}`,
      pod_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      ready: phase === 'Running' && !waiting,
      scheduled: phase !== 'Pending',
      ready_containers: phase === 'Running' && !waiting ? 2 : 1,
      total_containers: 2,
      restarts: waiting ? Math.floor(rnd() * 40) : Math.floor(rnd() * 2),
      waiting_reason: waiting,
      qos_class: 'Burstable',
      owner_kind: 'ReplicaSet',
      owner_name: `${app}-5d8f`,
      cpu_request_milli: 100 + Math.floor(rnd() * 400),
      mem_request_bytes: 2 ** 27 * (1 + Math.floor(rnd() * 8)),
      containers: [
        { name: 'app', image: `registry.example/${app}:1.${i % 7}`, ready: !waiting, state: waiting ? 'waiting' : 'running', reason: waiting, restarts: 0 },
        { name: 'sidecar', image: 'registry.example/proxy:2.1', ready: true, state: 'running', restarts: 0 },
      ],
    });
  }
  return pods;
}

export function startMock({ dist, pods, port = 0 }) {
  const user = { username: 'bench', role: 'admin', disabled: false, created_at: new Date().toISOString(), updated_at: new Date().toISOString() };
  const json = (res, code, body) => {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    if (p.startsWith('/api/v1/')) {
      if (p === '/api/v1/auth/me') return json(res, 200, user);
      if (p === '/api/v1/clusters') return json(res, 200, { items: [{ id: 'bench', online: true, synced: true, spool_bytes: 0, errors: 0 }] });
      if (p === '/api/v1/fleet/overview') return json(res, 200, { generated_at: new Date().toISOString(), totals: { clusters: 1, online: 1 }, clusters: [{ id: 'bench', online: true, synced: true, spool_bytes: 0, errors: 0, health: { status: 'healthy', reasons: [] } }] });
      if (p === '/api/v1/clusters/bench/pods') {
        const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 100));
        const start = Number(url.searchParams.get('cursor') ?? 0);
        const items = pods.slice(start, start + limit);
        const next = start + limit < pods.length ? String(start + limit) : undefined;
        return json(res, 200, { items, total: pods.length, next_cursor: next, as_of: new Date().toISOString() });
      }
      if (p === '/api/v1/clusters/bench/node-metrics') return json(res, 200, { items: [] });
      return json(res, 404, { error: { code: 'not_found', message: `mock: ${p}` } });
    }
    let file = normalize(join(dist, p === '/' ? 'index.html' : p));
    if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
    if (file.endsWith('config.json')) return json(res, 200, { apiBase: '' });
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, port: server.address().port, user })));
}

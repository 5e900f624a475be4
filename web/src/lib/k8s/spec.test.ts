import { describe, expect, it } from 'vitest';
import { conditionOk, conditions, containerSpecs, describeProbe } from './spec';

describe('describeProbe', () => {
  it('http', () =>
    expect(describeProbe({ httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 5, periodSeconds: 10 })).toBe(
      'http-get http://:8080/healthz delay=5s timeout=1s period=10s #success=1 #failure=3',
    ));
  it('tcp, exec, grpc', () => {
    expect(describeProbe({ tcpSocket: { port: 'db' }, failureThreshold: 6 })).toContain('tcp-socket :db');
    expect(describeProbe({ exec: { command: ['cat', '/tmp/ok'] } })).toMatch(/^exec \[cat \/tmp\/ok\]/);
    expect(describeProbe({ grpc: { port: 9000 } })).toMatch(/^grpc :9000/);
  });
  it('junk', () => {
    expect(describeProbe(null)).toBe('');
    expect(describeProbe('x')).toBe('');
  });
});

describe('containerSpecs', () => {
  const detail = {
    spec: {
      initContainers: [{ name: 'init', command: ['sh', '-c', 'echo'] }],
      containers: [
        {
          name: 'app',
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
          livenessProbe: { tcpSocket: { port: 8080 } },
          env: [
            { name: 'MODE', value: '<redacted>' },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } },
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          ],
        },
      ],
    },
  };
  it('reads probes, ports, env sources', () => {
    const m = containerSpecs(detail);
    expect([...m.keys()]).toEqual(['init', 'app']);
    const app = m.get('app')!;
    expect(app.probes.map((p) => p.kind)).toEqual(['liveness', 'readiness']);
    expect(app.ports).toEqual(['http:8080/TCP']);
    expect(app.env).toEqual([
      { name: 'MODE', value: '<redacted>' },
      { name: 'PASSWORD', value: 'secret db/pw' },
      { name: 'NODE', value: 'field spec.nodeName' },
    ]);
    expect(m.get('init')!.command).toBe('sh -c echo');
  });
  it('tolerates missing spec', () => expect(containerSpecs(undefined).size).toBe(0));
});

describe('conditions', () => {
  it('reads and judges', () => {
    const cs = conditions({ status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'False' }, { type: 'Ready2', status: 'False' }, { status: 'True' }] } });
    expect(cs.map((c) => c.type)).toEqual(['Ready', 'MemoryPressure', 'Ready2']);
    expect(cs.map(conditionOk)).toEqual([true, true, false]);
  });
});

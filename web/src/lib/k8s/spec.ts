// Reading the stripped Kubernetes object (ObjectDetail.detail) that the API
// returns for detail views: probes, conditions, container specs. The object
// is untyped JSON from the lake, so every accessor is defensive.

type J = Record<string, unknown>;
const obj = (v: unknown): J | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

export interface Probe {
  kind: 'liveness' | 'readiness' | 'startup';
  text: string;
}

/** kubectl-describe style: "http-get http://:8080/healthz delay=5s timeout=1s period=10s #success=1 #failure=3". */
export function describeProbe(p: unknown): string {
  const o = obj(p);
  if (!o) return '';
  let action = 'unknown';
  const http = obj(o.httpGet);
  const tcp = obj(o.tcpSocket);
  const exec = obj(o.exec);
  const grpc = obj(o.grpc);
  if (http) {
    const scheme = (str(http.scheme) ?? 'HTTP').toLowerCase();
    action = `http-get ${scheme}://${str(http.host) ?? ''}:${str(http.port) ?? ''}${str(http.path) ?? '/'}`;
  } else if (tcp) action = `tcp-socket ${str(tcp.host) ?? ''}:${str(tcp.port) ?? ''}`;
  else if (exec) action = `exec [${arr(exec.command).map(String).join(' ')}]`;
  else if (grpc) action = `grpc :${str(grpc.port) ?? ''}${grpc.service ? ` ${str(grpc.service)}` : ''}`;
  const n = (k: string, d: number) => (typeof o[k] === 'number' ? (o[k] as number) : d);
  return `${action} delay=${n('initialDelaySeconds', 0)}s timeout=${n('timeoutSeconds', 1)}s period=${n('periodSeconds', 10)}s #success=${n('successThreshold', 1)} #failure=${n('failureThreshold', 3)}`;
}

export interface ContainerSpec {
  name: string;
  probes: Probe[];
  ports: string[];
  command?: string;
  env: { name: string; value: string }[];
}

/** Probes, ports, command and env names of each container in a pod's spec (init containers included). */
export function containerSpecs(detail: unknown): Map<string, ContainerSpec> {
  const out = new Map<string, ContainerSpec>();
  const spec = obj(obj(detail)?.spec);
  if (!spec) return out;
  for (const c of [...arr(spec.initContainers), ...arr(spec.containers)]) {
    const co = obj(c);
    const name = str(co?.name);
    if (!co || !name) continue;
    const probes: Probe[] = [];
    for (const [k, kind] of [
      ['livenessProbe', 'liveness'],
      ['readinessProbe', 'readiness'],
      ['startupProbe', 'startup'],
    ] as const) {
      if (co[k]) probes.push({ kind, text: describeProbe(co[k]) });
    }
    const ports = arr(co.ports).map((p) => {
      const po = obj(p);
      return `${str(po?.name) ? `${str(po?.name)}:` : ''}${str(po?.containerPort) ?? '?'}/${str(po?.protocol) ?? 'TCP'}`;
    });
    const cmd = [...arr(co.command), ...arr(co.args)].map(String).join(' ');
    // Literal env values are replaced by the agent; valueFrom shows its source.
    const env = arr(co.env).map((e) => {
      const eo = obj(e);
      const vf = obj(eo?.valueFrom);
      let value = str(eo?.value) ?? '';
      if (vf) {
        const ref = obj(vf.secretKeyRef) ?? obj(vf.configMapKeyRef);
        const field = obj(vf.fieldRef);
        if (vf.secretKeyRef && ref) value = `secret ${str(ref.name)}/${str(ref.key)}`;
        else if (vf.configMapKeyRef && ref) value = `configmap ${str(ref.name)}/${str(ref.key)}`;
        else if (field) value = `field ${str(field.fieldPath)}`;
        else value = 'valueFrom';
      }
      return { name: str(eo?.name) ?? '?', value };
    });
    out.set(name, { name, probes, ports, command: cmd || undefined, env });
  }
  return out;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export function conditions(detail: unknown): Condition[] {
  const status = obj(obj(detail)?.status);
  return arr(status?.conditions)
    .map((c) => {
      const o = obj(c);
      return {
        type: str(o?.type) ?? '?',
        status: str(o?.status) ?? 'Unknown',
        reason: str(o?.reason),
        message: str(o?.message),
        lastTransitionTime: str(o?.lastTransitionTime),
      };
    })
    .filter((c) => c.type !== '?');
}

/** Whether a condition being in this status is good news (most are True=good; pressure ones are False=good). */
export function conditionOk(c: Condition): boolean {
  const inverted = /Pressure$|NetworkUnavailable|ReplicaFailure|Failed/.test(c.type);
  return inverted ? c.status === 'False' : c.status === 'True';
}

/** The rollout revision the deployment controller stamps on a Deployment and its ReplicaSets. */
export function revision(detail: unknown): number | undefined {
  const v = str(obj(obj(obj(detail)?.metadata)?.annotations)?.['deployment.kubernetes.io/revision']);
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/**
 * TEST DOUBLE (Rancher 1.6 / Cattle), part of test/support/rancher-simulator: how resources
 * look on the wire: links and ids (V6, V7, V8, V26), collections, filters and paging (V3, V4, V5).
 */
import type { Cluster } from './cluster';
import { healthState } from './hosts';
import { SERVICE_ACTIONS, STACK_ACTIONS, idNumber, stackRef, type Json, type Service, type Stack } from './model';

/** Where a request's links point: `<base>/<version>/projects/<project>`. */
export interface Base {
  /** V6: the request's own origin (X-Forwarded-Proto/Host honoured). */
  origin: string;
  version: 'v1' | 'v2-beta';
  project: string;
}

export function prefix(b: Base): string {
  return `${b.origin}/${b.version}/projects/${b.project}`;
}

/** V6: `<plural>/<id>/?action=<name>` for each action offered. */
function actions(self: string, names: readonly string[]): Json {
  return Object.fromEntries(names.map((a) => [a, `${self}/?action=${a}`]));
}

/** V7: on v1 a stack is an `environment` (id 1e…, /environments/ links). */
export function formatStack(st: Stack, b: Base): Json {
  const v1 = b.version === 'v1';
  const self = `${prefix(b)}/${v1 ? 'environments' : 'stacks'}/${stackRef(st.id, v1)}`;
  return {
    id: stackRef(st.id, v1),
    type: v1 ? 'environment' : 'stack',
    kind: v1 ? 'environment' : 'stack',
    baseType: v1 ? 'environment' : 'stack',
    name: st.name,
    accountId: st.accountId,
    state: st.state,
    transitioning: st.transitioning,
    transitioningMessage: st.transitioningMessage,
    healthState: 'healthy',
    dockerCompose: st.dockerCompose,
    rancherCompose: st.rancherCompose,
    environment: st.environment,
    links: { self, services: `${self}/services` },
    actions: actions(self, STACK_ACTIONS[st.state] ?? []),
  };
}

/** V6: a load balancer's self is under /loadbalancerservices/; V7: v1 services carry environmentId and stackId. */
export function formatService(c: Cluster, s: Service, b: Base): Json {
  const v1 = b.version === 'v1';
  const self = `${prefix(b)}/${s.kind === 'loadBalancerService' ? 'loadbalancerservices' : 'services'}/1s${s.id}`;
  const stackLink = `${prefix(b)}/${v1 ? 'environments' : 'stacks'}/${stackRef(s.stackId, v1)}`;
  const running = c.running(s);
  return {
    id: `1s${s.id}`,
    type: s.kind,
    baseType: 'service',
    kind: s.kind,
    name: s.name,
    accountId: s.accountId,
    ...(v1 ? { environmentId: stackRef(s.stackId, true) } : {}),
    stackId: stackRef(s.stackId, v1),
    state: s.state,
    transitioning: s.transitioning,
    transitioningMessage: s.transitioningMessage,
    healthState: healthState(s),
    scale: s.scale,
    currentScale: running.length,
    instanceIds: running.map((i) => i.id),
    launchConfig: s.launchConfig,
    ...(s.lbConfig ? { lbConfig: s.lbConfig } : {}),
    metadata: s.metadata ?? {},
    upgrade: s.upgrade ?? null,
    links: { self, instances: `${self}/instances`, [v1 ? 'environment' : 'stack']: stackLink },
    actions: actions(self, SERVICE_ACTIONS[s.state] ?? ['remove']),
  };
}

/** V26: a service's containers, the stopped old ones of an upgrade included. */
export function formatInstances(s: Service, b: Base): Json[] {
  return s.instances
    .filter((i) => i.state !== 'removed')
    .map((i) => ({ ...i, type: 'container', kind: 'container', links: { self: `${prefix(b)}/containers/${i.id}` }, actions: {} }));
}

export function formatCertificate(cert: Json, b: Base): Json {
  const rest = { ...cert };
  delete rest.key; // V24: a certificate's key is never read back
  return { ...rest, type: 'certificate', baseType: 'certificate', links: { self: `${prefix(b)}/certificates/${String(cert.id)}` }, actions: {} };
}

/**
 * V3, V4: `field=value` filters on the fields the schema knows (name case-insensitive, as the
 * utf8_general_ci collation compares it; stackId parsed without its type letters, V8); any
 * other filter is skipped without an error. On v1 the v2-beta schema serves services, so
 * `environmentId` is unknown and ignored. `_null` modifiers look at nothing but the field.
 */
export function filter<T extends object>(items: T[], q: URLSearchParams): T[] {
  const f = (i: T) => i as { name?: unknown; id?: unknown; stackId?: unknown; state?: unknown };
  let out = items;
  const name = q.get('name');
  if (name !== null) out = out.filter((i) => String(f(i).name ?? '').toLowerCase() === name.toLowerCase());
  const stackId = q.get('stackId');
  if (stackId !== null) out = out.filter((i) => f(i).stackId !== undefined && f(i).stackId === idNumber(stackId));
  const id = q.get('id');
  if (id !== null) out = out.filter((i) => idNumber(String(f(i).id)) === idNumber(id));
  const state = q.get('state');
  if (state !== null) out = out.filter((i) => f(i).state === state);
  return out;
}

/** V5: limit 100 by default, honoured up to 3000; `next` an absolute URL with the same query and a marker; partial while more. */
export function collection(data: Json[], url: URL, origin: string, maxPage: number): Json {
  const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), 3000, maxPage);
  const marker = Number(/^m?(\d+)$/.exec(url.searchParams.get('marker') ?? '')?.[1] ?? 0);
  const page = data.slice(marker, marker + limit);
  const more = marker + limit < data.length;
  const next = new URL(`${origin}${url.pathname}${url.search}`);
  next.searchParams.set('marker', `m${marker + limit}`);
  return {
    type: 'collection',
    resourceType: String(page[0]?.type ?? 'resource'),
    data: page,
    links: { self: `${origin}${url.pathname}${url.search}` },
    actions: {},
    pagination: { limit, partial: more, next: more ? next.toString() : null },
    filters: {},
    sort: null,
  };
}

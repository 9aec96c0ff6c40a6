/**
 * TEST DOUBLE: a Rancher 1.x (Cattle) API contract simulator. Rancher 1.x cannot run on the
 * test bed, so this serves the contract shared/reference/rancher-api.md states (checklist of
 * section 2; state tables of section 1.10; upgrade defaults and validation of section 1.8; the
 * rolling algorithm of section 1.11) on a loopback port, with switches for the faults the
 * action must survive: health never green, 5xx answers, slow answers, ActionNotAvailable.
 * test/unit/rancher-simulator-conformance.test.ts checks it against the reference, section by section.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';

type Json = Record<string, unknown>;

interface Instance {
  id: string;
  serviceId: string;
  imageUuid: string;
  state: 'running' | 'stopped' | 'removed';
  healthState: 'initializing' | 'healthy' | 'unhealthy';
}

interface Service {
  id: number;
  kind: 'service' | 'loadBalancerService';
  name: string;
  stackId: number;
  accountId: string;
  state: string;
  transitioning: 'yes' | 'no' | 'error';
  transitioningMessage: string | null;
  scale: number;
  launchConfig: Json;
  lbConfig?: Json;
  upgrade?: Json;
  instances: Instance[];
  /** Bumped to cancel a running upgrade or rollback loop. */
  run: number;
}

interface Stack {
  id: number;
  name: string;
  accountId: string;
  state: string;
  transitioning: 'yes' | 'no';
  dockerCompose?: string;
  rancherCompose?: string;
  environment?: Record<string, string>;
}

export interface Key {
  access: string;
  secret: string;
  /** An environment key: one project. Without it, an account key that sees every project. */
  project?: string;
}

export interface Faults {
  /** Images (as `docker:<ref>`) whose containers never become healthy. */
  neverHealthy: Set<string>;
  /** Answer the next N requests with 503. */
  fail5xx: number;
  /** Delay every answer by this many ms. */
  slowMs: number;
  /** Actions answered with 422 ActionNotAvailable whatever the state (listed in `actions` all the same, as when the state changes between a GET and the POST). */
  actionNotAvailable: Set<string>;
}

export interface BatchRecord {
  service: string;
  batch: number;
  startedAt: number;
  endedAt: number;
}

/** Section 1.10: the actions each service state offers. */
export const SERVICE_ACTIONS: Record<string, string[]> = {
  inactive: ['activate', 'upgrade', 'update', 'remove'],
  active: ['upgrade', 'deactivate', 'restart', 'update', 'remove', 'setservicelinks'],
  'updating-active': ['upgrade', 'deactivate', 'update', 'remove'],
  activating: ['upgrade', 'update', 'remove'],
  upgrading: ['cancelupgrade', 'rollback', 'update', 'remove'],
  upgraded: ['finishupgrade', 'rollback', 'remove'],
  'canceling-upgrade': ['update', 'remove'],
  'canceled-upgrade': ['continueupgrade', 'rollback', 'remove'],
  'finishing-upgrade': ['cancelupgrade', 'update', 'remove'],
  'rolling-back': ['update', 'remove'],
  restarting: ['activate', 'deactivate', 'remove'],
};
export const ALL_SERVICE_ACTIONS = ['activate', 'addservicelink', 'cancelupgrade', 'continueupgrade', 'deactivate', 'finishupgrade', 'remove', 'removeservicelink', 'restart', 'rollback', 'setservicelinks', 'update', 'upgrade'];
const STACK_ACTIONS: Record<string, string[]> = {
  active: ['upgrade', 'update', 'remove', 'exportconfig', 'activateservices', 'deactivateservices'],
  upgraded: ['finishupgrade', 'rollback', 'remove'],
};

const COLLECTIONS: Record<string, string> = {
  project: 'project', projects: 'project',
  stack: 'stack', stacks: 'stack', environment: 'stack', environments: 'stack',
  service: 'service', services: 'service', loadbalancerservice: 'service', loadbalancerservices: 'service',
  certificate: 'certificate', certificates: 'certificate',
  pulltask: 'pullTask', pulltasks: 'pullTask',
  instance: 'instance', instances: 'instance', container: 'instance', containers: 'instance',
};

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string | null,
    readonly fieldName?: string,
  ) {
    super(message ?? code);
  }
}

export class RancherSimulator {
  readonly projects = [
    { id: '1a5', name: 'Default' },
    { id: '1a7', name: 'Production' },
  ];
  readonly keys: Key[] = [
    { access: 'ENVKEY5', secret: 'env-secret-5-do-not-log', project: '1a5' },
    { access: 'ACCOUNTKEY', secret: 'account-secret-do-not-log' },
  ];
  readonly faults: Faults = { neverHealthy: new Set(), fail5xx: 0, slowMs: 0, actionNotAvailable: new Set() };
  /** Time a new container takes to pass its health check. */
  healthyAfterMs = 300;
  /** The largest page the server sends (the real default is 100; small here to exercise paging). */
  maxPage = 1000;
  readonly stacks: Stack[] = [];
  readonly services: Service[] = [];
  readonly certificates: Json[] = [];
  readonly batches: BatchRecord[] = [];
  readonly requests: { method: string; path: string; auth: string; body?: Json }[] = [];
  private nextId = 10;
  private server?: http.Server;
  url = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const s of this.services) s.run++;
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  // ---- direct set-up for tests (what an earlier run would have left)

  addStack(name: string, project = '1a5'): Stack {
    const st: Stack = { id: this.nextId++, name, accountId: project, state: 'active', transitioning: 'no' };
    this.stacks.push(st);
    return st;
  }

  addService(stack: Stack, name: string, image: string, scale = 1, extra: Partial<Service> = {}): Service {
    const svc: Service = {
      id: this.nextId++,
      kind: 'service',
      name,
      stackId: stack.id,
      accountId: stack.accountId,
      state: 'active',
      transitioning: 'no',
      transitioningMessage: null,
      scale,
      launchConfig: { imageUuid: `docker:${image}`, labels: {}, environment: {} },
      instances: [],
      run: 0,
      ...extra,
    };
    for (let i = 0; i < scale; i++) svc.instances.push(this.instance(svc, svc.launchConfig.imageUuid as string, 'healthy'));
    this.services.push(svc);
    return svc;
  }

  service(name: string, stackName?: string): Service | undefined {
    const stack = stackName ? this.stacks.find((s) => s.name === stackName) : undefined;
    return this.services.find((s) => s.name === name && (!stack || s.stackId === stack.id) && s.state !== 'removed');
  }

  imageOf(svc: Service): string {
    return String(svc.launchConfig.imageUuid).replace(/^docker:/, '');
  }

  running(svc: Service): Instance[] {
    return svc.instances.filter((i) => i.state === 'running');
  }

  // ---- HTTP

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body: Json | undefined;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (chunks.length) body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, auth: req.headers.authorization ?? '', body });
    if (this.faults.slowMs) await new Promise((r) => setTimeout(r, this.faults.slowMs));
    const send = (status: number, data: unknown) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', 'x-api-schemas': `${this.url}/v2-beta/schemas` });
      res.end(JSON.stringify(data));
    };
    try {
      if (this.faults.fail5xx > 0) {
        this.faults.fail5xx--;
        throw new ApiError(503, 'ServiceUnavailable', 'simulated 503');
      }
      const key = this.authenticate(req.headers.authorization);
      const [status, data] = this.route(req.method ?? 'GET', url, body ?? {}, key, req.headers['x-api-project-id'] as string | undefined);
      send(status, data);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(500, 'ServerError', (err as Error).message);
      send(e.status, { id: crypto.randomUUID(), type: 'error', links: {}, actions: {}, status: e.status, code: e.code, message: e.message === e.code ? null : e.message, detail: null, ...(e.fieldName ? { fieldName: e.fieldName } : {}), baseType: 'error' });
    }
  }

  private authenticate(header: string | undefined): Key {
    const m = /^Basic (.+)$/.exec(header ?? '');
    const [access, secret] = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':') : [];
    const key = this.keys.find((k) => k.access === access && k.secret === secret);
    if (!key) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    return key;
  }

  private route(method: string, url: URL, body: Json, key: Key, projectHeader?: string): [number, unknown] {
    const m = /^\/(v1|v2-beta)(\/.*)?$/.exec(url.pathname.replace(/\/+$/, ''));
    if (!m) throw new ApiError(404, 'NotFound', null);
    const v1 = m[1] === 'v1';
    let parts = (m[2] ?? '').split('/').filter(Boolean);
    if (!parts.length) return [200, { type: 'apiVersion', id: m[1], links: { self: `${this.url}/${m[1]}`, schemas: `${this.url}/${m[1]}/schemas` } }];
    if (parts[0] === 'schemas') return [200, this.schemas()];
    let project = key.project ?? projectHeader;
    if (parts[0]!.toLowerCase() === 'projects' && parts.length >= 2 && parts[1]!.startsWith('1a')) {
      if (key.project && key.project !== parts[1]) throw new ApiError(404, 'NotFound', null);
      project = parts[1]!;
      parts = parts.slice(2);
    } else if (parts[0]!.toLowerCase() === 'projects') {
      const visible = this.projects.filter((p) => !key.project || p.id === key.project);
      return [200, this.collection(visible.map((p) => ({ ...p, type: 'project', state: 'active', links: { self: `${this.url}/${m[1]}/projects/${p.id}` }, actions: {} })), url)];
    }
    if (!project) throw new ApiError(404, 'NotFound', 'an account key needs /projects/<id> or X-API-Project-Id');
    const base = `${this.url}/${m[1]}/projects/${project}`;
    const kind = COLLECTIONS[parts[0]!.toLowerCase()];
    if (!kind) throw new ApiError(404, 'NotFound', null);
    const fmt = (r: Stack | Service | Json) => this.format(r, kind, base, v1);
    const action = url.searchParams.get('action');

    if (kind === 'stack') {
      if (parts.length === 1 && method === 'GET') return [200, this.collection(this.filter(this.stacks.filter((s) => s.accountId === project && s.state !== 'removed'), url, v1).map(fmt), url)];
      if (parts.length === 1 && method === 'POST') return [201, fmt(this.createStack(body, project))];
      const st = this.stacks.find((s) => stackIdMatches(s.id, parts[1]!) && s.accountId === project);
      if (!st) throw new ApiError(404, 'NotFound', null);
      if (parts[2]?.toLowerCase() === 'services') return [200, this.collection(this.services.filter((s) => s.stackId === st.id && s.state !== 'removed').map((s) => this.format(s, 'service', base, v1)), url)];
      if (action) return [202, fmt(this.stackAction(st, action))];
      if (method === 'GET') return [200, fmt(st)];
    }
    if (kind === 'service') {
      if (parts.length === 1 && method === 'GET') return [200, this.collection(this.filter(this.services.filter((s) => s.accountId === project && s.state !== 'removed' && (!/loadbalancer/i.test(parts[0]!) || s.kind === 'loadBalancerService')), url, v1).map(fmt), url)];
      if (parts.length === 1 && method === 'POST') return [201, fmt(this.createService(body, project, /loadbalancer/i.test(parts[0]!) ? 'loadBalancerService' : 'service', v1))];
      const svc = this.services.find((s) => `1s${s.id}` === parts[1] && s.accountId === project);
      if (!svc) throw new ApiError(404, 'NotFound', null);
      if (parts[2]?.toLowerCase() === 'instances') return [200, this.collection(svc.instances.filter((i) => i.state !== 'removed').map((i) => ({ ...i, type: 'container', links: {}, actions: {} })), url)];
      if (action) return [202, fmt(this.serviceAction(svc, action, body))];
      if (method === 'PUT') return [200, fmt(this.updateService(svc, body))];
      if (method === 'GET') return [200, fmt(svc)];
    }
    if (kind === 'certificate') {
      const own = this.certificates.filter((c) => c.accountId === project);
      if (parts.length === 1 && method === 'GET') return [200, this.collection(this.filter(own, url, v1).map(fmt), url)];
      if (parts.length === 1 && method === 'POST') {
        if (!body.name || !body.cert || !body.key) throw new ApiError(422, 'MissingRequired', null, !body.name ? 'name' : !body.cert ? 'cert' : 'key');
        const cert = { id: `1c${this.nextId++}`, name: body.name, cert: body.cert, key: body.key, accountId: project, state: 'active' };
        this.certificates.push(cert);
        return [201, fmt(cert)];
      }
      const cert = own.find((c) => c.id === parts[1]);
      if (!cert) throw new ApiError(404, 'NotFound', null);
      if (method === 'PUT') Object.assign(cert, pick(body, ['cert', 'key', 'certChain', 'description']));
      return [200, fmt(cert)];
    }
    if (kind === 'pullTask' && method === 'POST') {
      if (!body.image) throw new ApiError(422, 'MissingRequired', null, 'image');
      return [201, { id: `1pt${this.nextId++}`, type: 'pullTask', image: body.image, mode: body.mode ?? 'all', state: 'done', transitioning: 'no', status: { '1h1': 'Done' }, links: {}, actions: {} }];
    }
    throw new ApiError(405, 'MethodNotAllowed', null);
  }

  private schemas(): Json {
    const schema = (id: string, collectionMethods: string[], resourceActions: string[] = []) => ({
      id,
      type: 'schema',
      collectionMethods,
      resourceActions: Object.fromEntries(resourceActions.map((a) => [a, {}])),
    });
    return {
      type: 'collection',
      resourceType: 'schema',
      data: [
        schema('project', ['GET']),
        schema('stack', ['GET', 'POST'], ['upgrade', 'finishupgrade', 'rollback', 'cancelupgrade', 'exportconfig', 'activateservices', 'deactivateservices']),
        schema('service', ['GET', 'POST'], ALL_SERVICE_ACTIONS),
        schema('loadBalancerService', ['GET', 'POST'], ALL_SERVICE_ACTIONS),
        schema('certificate', ['GET', 'POST']),
        schema('secret', ['GET', 'POST']),
        schema('pullTask', ['GET', 'POST']),
      ],
    };
  }

  private collection(data: unknown[], url: URL): Json {
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), this.maxPage);
    const marker = Number(url.searchParams.get('marker') ?? 0);
    const page = data.slice(marker, marker + limit);
    const nextUrl = new URL(url.toString());
    nextUrl.searchParams.set('marker', String(marker + limit));
    return {
      type: 'collection',
      resourceType: 'resource',
      data: page,
      links: { self: url.toString() },
      actions: {},
      pagination: { limit, total: data.length, partial: marker + limit < data.length, next: marker + limit < data.length ? `${this.url}${nextUrl.pathname}${nextUrl.search}` : null },
      filters: {},
      sort: null,
    };
  }

  /** Section 2 item 3: `name` exact, stackId / environmentId, accountId, id; `_null` modifiers look at nothing but the field. */
  private filter<T extends { name?: unknown; stackId?: number; id?: unknown }>(items: T[], url: URL, v1: boolean): T[] {
    let out = items;
    const name = url.searchParams.get('name');
    if (name !== null) out = out.filter((i) => i.name === name);
    const stackId = url.searchParams.get(v1 ? 'environmentId' : 'stackId') ?? url.searchParams.get('stackId');
    if (stackId !== null) out = out.filter((i) => i.stackId !== undefined && stackIdMatches(i.stackId, stackId));
    const id = url.searchParams.get('id');
    if (id !== null) out = out.filter((i) => String(i.id) === id || `1s${String(i.id)}` === id || `1st${String(i.id)}` === id);
    return out;
  }

  private format(r: Stack | Service | Json, kind: string, base: string, v1: boolean): Json {
    if (kind === 'stack') {
      const st = r as Stack;
      const plural = v1 ? 'environments' : 'stacks';
      const self = `${base}/${plural}/${stackRef(st.id, v1)}`;
      return {
        id: stackRef(st.id, v1),
        type: v1 ? 'environment' : 'stack',
        kind: v1 ? 'environment' : 'stack',
        name: st.name,
        accountId: st.accountId,
        state: st.state,
        transitioning: st.transitioning,
        healthState: 'healthy',
        dockerCompose: st.dockerCompose,
        rancherCompose: st.rancherCompose,
        environment: st.environment,
        links: { self, services: `${self}/services` },
        actions: Object.fromEntries((STACK_ACTIONS[st.state] ?? []).map((a) => [a, `${self}/?action=${a}`])),
      };
    }
    if (kind === 'service') {
      const s = r as Service;
      const self = `${base}/services/1s${s.id}`;
      const offered = SERVICE_ACTIONS[s.state] ?? ['remove'];
      const running = this.running(s);
      return {
        id: `1s${s.id}`,
        type: s.kind,
        baseType: 'service',
        kind: s.kind,
        name: s.name,
        accountId: s.accountId,
        [v1 ? 'environmentId' : 'stackId']: stackRef(s.stackId, v1),
        ...(v1 ? {} : { stackId: stackRef(s.stackId, false) }),
        state: s.state,
        transitioning: s.transitioning,
        transitioningMessage: s.transitioningMessage,
        healthState: this.healthState(s),
        scale: s.scale,
        currentScale: running.length,
        instanceIds: running.map((i) => i.id),
        launchConfig: s.launchConfig,
        ...(s.lbConfig ? { lbConfig: s.lbConfig } : {}),
        upgrade: s.upgrade ?? null,
        links: { self, instances: `${self}/instances`, [v1 ? 'environment' : 'stack']: `${base}/${v1 ? 'environments' : 'stacks'}/${stackRef(s.stackId, v1)}` },
        actions: Object.fromEntries(offered.map((a) => [a, `${self}/?action=${a}`])),
      };
    }
    const rest = { ...(r as Json) };
    delete rest.key; // a certificate's key is never read back
    return { ...rest, type: 'certificate', links: { self: `${base}/certificates/${String(r.id)}` }, actions: {} };
  }

  private healthState(s: Service): string {
    const running = this.running(s);
    if (!running.length) return s.scale ? 'initializing' : 'healthy';
    if (running.every((i) => i.healthState === 'healthy')) return 'healthy';
    if (running.some((i) => i.healthState === 'unhealthy')) return running.some((i) => i.healthState === 'healthy') ? 'degraded' : 'unhealthy';
    return running.some((i) => i.healthState === 'healthy') ? 'degraded' : 'initializing';
  }

  // ---- stacks (section 1.14: server-side compose)

  private createStack(body: Json, project: string): Stack {
    const name = String(body.name ?? '');
    if (!/^[a-zA-Z0-9-]{1,63}$/.test(name)) throw new ApiError(422, name ? 'InvalidCharacters' : 'MissingRequired', null, 'name');
    if (this.stacks.some((s) => s.name === name && s.accountId === project && s.state !== 'removed')) throw new ApiError(422, 'NotUnique', null, 'name');
    const st = this.addStack(name, project);
    st.dockerCompose = body.dockerCompose as string | undefined;
    st.rancherCompose = body.rancherCompose as string | undefined;
    st.environment = body.environment as Record<string, string> | undefined;
    const vars = st.environment ?? {};
    const interpolate = (text: string) => text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_, k: string, d?: string) => vars[k] ?? d ?? '');
    const dc = (parseYaml(interpolate(st.dockerCompose ?? '')) ?? {}) as { services?: Record<string, Json> };
    const rc = (parseYaml(st.rancherCompose ?? '') ?? {}) as { services?: Record<string, Json> };
    const names = new Set([...Object.keys(dc.services ?? {}), ...Object.keys(rc.services ?? {})]);
    const lbs: [string, Json][] = [];
    for (const svcName of names) {
      const d = dc.services?.[svcName] ?? {};
      const r = rc.services?.[svcName] ?? {};
      if (r.lb_config) {
        lbs.push([svcName, r]);
        continue;
      }
      const scale = Number(r.scale ?? 1);
      const svc = this.addService(st, svcName, String(d.image ?? 'busybox'), 0);
      svc.launchConfig = { imageUuid: `docker:${String(d.image)}`, labels: (d.labels as Json) ?? {}, environment: (d.environment as Json) ?? {}, ...(r.health_check ? { healthCheck: healthCheck(r.health_check as Json) } : {}) };
      svc.scale = scale;
      this.converge(svc);
    }
    for (const [svcName, r] of lbs) {
      const lbc = r.lb_config as { port_rules?: Json[] };
      const svc = this.addService(st, svcName, 'rancher/lb-service-haproxy:v0.7.15', 0, { kind: 'loadBalancerService' });
      svc.lbConfig = {
        portRules: (lbc.port_rules ?? []).map((p) => ({
          sourcePort: p.source_port,
          targetPort: p.target_port,
          protocol: p.protocol ?? 'http',
          serviceId: `1s${this.services.find((s) => s.stackId === st.id && s.name === p.service)?.id ?? 0}`,
        })),
      };
      svc.scale = Number(r.scale ?? 1);
      this.converge(svc);
    }
    return st;
  }

  private stackAction(st: Stack, action: string): Stack {
    if (!(STACK_ACTIONS[st.state] ?? []).includes(action)) throw new ApiError(422, 'ActionNotAvailable', null, 'action');
    return st;
  }

  // ---- services (sections 1.7 to 1.11)

  private createService(body: Json, project: string, kind: Service['kind'], v1: boolean): Service {
    const name = String(body.name ?? '');
    if (!/^[a-zA-Z0-9-]{1,63}$/.test(name)) throw new ApiError(422, name ? 'InvalidCharacters' : 'MissingRequired', null, 'name');
    const stackRefValue = String(body.stackId ?? (v1 ? body.environmentId : '') ?? '');
    const st = this.stacks.find((s) => stackIdMatches(s.id, stackRefValue) && s.accountId === project);
    if (!st) throw new ApiError(422, 'InvalidReference', null, 'stackId');
    if (kind === 'loadBalancerService' && !body.lbConfig) throw new ApiError(422, 'MissingRequired', null, 'lbConfig');
    if (!body.launchConfig) throw new ApiError(422, 'MissingRequired', null, 'launchConfig');
    const svc = this.addService(st, name, 'none', 0, { kind, launchConfig: body.launchConfig as Json, lbConfig: body.lbConfig as Json | undefined, scale: Number(body.scale ?? 1) });
    if (body.startOnCreate) this.converge(svc);
    else svc.state = 'inactive';
    return svc;
  }

  private updateService(svc: Service, body: Json): Service {
    if (body.scale !== undefined) {
      if (!Number.isInteger(body.scale) || (body.scale as number) < 0) throw new ApiError(422, 'MinLimitExceeded', null, 'scale');
      svc.scale = body.scale as number;
      this.converge(svc);
    }
    if (body.lbConfig !== undefined && svc.kind === 'loadBalancerService') svc.lbConfig = body.lbConfig as Json; // replaced whole (section 1.13)
    if (body.launchConfig !== undefined && svc.kind === 'loadBalancerService') svc.launchConfig = body.launchConfig as Json;
    return svc;
  }

  private instance(svc: Service, imageUuid: string, health: Instance['healthState'] = 'initializing'): Instance {
    const inst: Instance = { id: `1i${this.nextId++}`, serviceId: `1s${svc.id}`, imageUuid, state: 'running', healthState: health };
    if (health === 'initializing') this.becomeHealthy(inst);
    return inst;
  }

  private becomeHealthy(inst: Instance): void {
    if (this.faults.neverHealthy.has(inst.imageUuid)) return;
    setTimeout(() => {
      if (inst.state === 'running' && inst.healthState === 'initializing') inst.healthState = 'healthy';
    }, this.healthyAfterMs).unref();
  }

  /** Running instances up or down to the scale, with the current launch config. */
  private converge(svc: Service): void {
    const running = this.running(svc);
    for (let i = running.length; i < svc.scale; i++) svc.instances.push(this.instance(svc, svc.launchConfig.imageUuid as string));
    for (const extra of running.slice(svc.scale)) extra.state = 'removed';
    if (svc.state !== 'inactive') svc.state = 'active';
  }

  private serviceAction(svc: Service, action: string, body: Json): Service {
    if (!ALL_SERVICE_ACTIONS.includes(action)) throw new ApiError(422, 'InvalidAction', null, 'action');
    const offered = (SERVICE_ACTIONS[svc.state] ?? []).filter((a) => !this.faults.actionNotAvailable.has(a));
    if (!offered.includes(action)) throw new ApiError(422, 'ActionNotAvailable', null, 'action');
    switch (action) {
      case 'upgrade':
        return this.upgrade(svc, body);
      case 'finishupgrade':
        svc.run++;
        this.transition(svc, 'finishing-upgrade', () => {
          for (const i of svc.instances) if (i.state === 'stopped') i.state = 'removed';
          svc.upgrade = undefined;
          return 'active';
        });
        return svc;
      case 'rollback':
        svc.run++;
        return this.rollback(svc);
      case 'cancelupgrade':
        svc.run++;
        this.transition(svc, 'canceling-upgrade', () => 'canceled-upgrade');
        return svc;
      case 'continueupgrade':
        return this.upgrade(svc, { inServiceStrategy: (svc.upgrade as Json).inServiceStrategy }, true);
      case 'activate':
        this.transition(svc, 'activating', () => (this.converge(svc), 'active'));
        return svc;
      case 'deactivate':
        this.transition(svc, 'deactivating', () => {
          for (const i of this.running(svc)) i.state = 'stopped';
          return 'inactive';
        });
        return svc;
      default:
        return svc;
    }
  }

  /** A transitioning state now (the 202's body already shows it), the end state a moment later. */
  private transition(svc: Service, during: string, end: () => string, ms = 100): void {
    svc.state = during;
    svc.transitioning = 'yes';
    const run = svc.run;
    setTimeout(() => {
      if (svc.run !== run) return;
      svc.state = end();
      svc.transitioning = 'no';
    }, ms).unref();
  }

  /** Section 1.8 validation and defaults; section 1.11 batches. */
  private upgrade(svc: Service, body: Json, resume = false): Service {
    const strategy = body.inServiceStrategy as Json | undefined;
    if (!strategy && !body.toServiceStrategy) throw new ApiError(422, 'MissingRequired', 'Upgrade strategy needs to be set', 'inServiceStrategy');
    if (!strategy) throw new ApiError(422, 'InvalidOption', 'only inServiceStrategy is simulated', 'toServiceStrategy');
    if (!strategy.launchConfig && !strategy.secondaryLaunchConfigs)
      throw new ApiError(422, 'InvalidOption', 'LaunchConfig/secondaryLaunchConfigs need to be specified for inService strategy', 'inServiceStrategy');
    const batchSize = strategy.batchSize === undefined ? 1 : Number(strategy.batchSize);
    const intervalMillis = strategy.intervalMillis === undefined ? 2000 : Number(strategy.intervalMillis);
    if (batchSize < 1) throw new ApiError(422, 'MinLimitExceeded', null, 'batchSize');
    if (intervalMillis < 100) throw new ApiError(422, 'MinLimitExceeded', null, 'intervalMillis');
    const startFirst = strategy.startFirst === true;
    if (!resume) {
      const launchConfig = (strategy.launchConfig as Json | undefined) ?? svc.launchConfig;
      svc.upgrade = { inServiceStrategy: { batchSize, intervalMillis, startFirst, launchConfig, previousLaunchConfig: svc.launchConfig } };
      svc.launchConfig = { ...launchConfig, version: crypto.randomUUID() };
    }
    svc.state = 'upgrading';
    svc.transitioning = 'yes';
    svc.transitioningMessage = null;
    const run = ++svc.run;
    void this.runUpgrade(svc, run, batchSize, intervalMillis, startFirst);
    return svc;
  }

  private async runUpgrade(svc: Service, run: number, batchSize: number, intervalMillis: number, startFirst: boolean): Promise<void> {
    const image = svc.launchConfig.imageUuid as string;
    const live = () => svc.run === run;
    const healthy = async (insts: Instance[]) => {
      while (live() && !insts.every((i) => i.healthState === 'healthy')) await delay(50);
    };
    let batch = 0;
    for (;;) {
      const old = this.running(svc).filter((i) => i.imageUuid !== image);
      if (!old.length || !live()) break;
      const last = this.batches.findLast((b) => b.service === svc.name && b.batch === batch);
      if (last) while (Date.now() < last.endedAt + intervalMillis) await delay(last.endedAt + intervalMillis - Date.now()); // a timer may fire a millisecond early
      if (!live()) return;
      const startedAt = Date.now();
      const units = old.slice(0, batchSize);
      if (!startFirst) for (const u of units) u.state = 'stopped';
      const fresh = units.map(() => this.instance(svc, image));
      svc.instances.push(...fresh);
      await healthy(fresh);
      if (!live()) return;
      if (startFirst) for (const u of units) u.state = 'stopped';
      this.batches.push({ service: svc.name, batch: ++batch, startedAt, endedAt: Date.now() });
    }
    if (!live()) return;
    svc.state = 'upgraded';
    svc.transitioning = 'no';
  }

  /** Section 1.9: the original containers start again (same ids), the new ones go, the previous launch config returns. */
  private rollback(svc: Service): Service {
    const previous = ((svc.upgrade?.inServiceStrategy as Json | undefined)?.previousLaunchConfig as Json | undefined) ?? svc.launchConfig;
    this.transition(svc, 'rolling-back', () => {
      const oldImage = previous.imageUuid as string;
      for (const i of svc.instances) {
        if (i.imageUuid === oldImage && i.state === 'stopped') i.state = 'running';
        else if (i.imageUuid !== oldImage) i.state = 'removed';
      }
      svc.launchConfig = previous;
      svc.upgrade = undefined;
      this.converge(svc);
      return 'active';
    }, 200);
    return svc;
  }
}

function healthCheck(h: Json): Json {
  return {
    port: h.port,
    requestLine: h.request_line ?? null,
    interval: h.interval,
    responseTimeout: h.response_timeout,
    healthyThreshold: h.healthy_threshold,
    unhealthyThreshold: h.unhealthy_threshold,
    strategy: h.strategy ?? 'recreate',
  };
}

function stackRef(id: number, v1: boolean): string {
  return `${v1 ? '1e' : '1st'}${id}`;
}

function stackIdMatches(id: number, ref: string): boolean {
  return ref === `1st${id}` || ref === `1e${id}`;
}

function pick(o: Json, keys: string[]): Json {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/**
 * TEST DOUBLE: a Rancher 1.6 (Cattle) API server. Rancher 1.x cannot run on the test bed, so
 * this serves what shared/reference/rancher-1.6-conformance.md states a real server does,
 * vector by vector (V1 to V27), on a loopback port; each rule names its vector. Fault switches
 * cover what the client must survive: health never green, 5xx, slow answers, 409 Conflict,
 * ActionNotAvailable, answers lost after the write took effect, links or redirects to another
 * origin. test/unit/rancher-simulator-conformance.test.ts checks it against the vectors, one
 * test each, never against the client.
 *
 * index.ts: HTTP, keys and routes; cluster.ts: the state and its writes; upgrades.ts: the
 * upgrade processes; executor.ts: server-side compose; hosts.ts: scheduling and health;
 * wire.ts: links, collections, filters.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cluster } from './cluster';
import { ApiError, SERVICE_ACTIONS, STACK_ACTIONS, idNumber, type Json, type Key, type Service, type Stack } from './model';
import { serviceAction } from './upgrades';
import { collection, filter, formatCertificate, formatInstances, formatService, formatStack, prefix, type Base } from './wire';

export { SERVICE_ACTIONS, LB_INSTANCE_IMAGE, type Faults, type Instance, type Service, type Stack } from './model';
export { healthState } from './hosts';

/** Cattle's collection names (V6, V7): lower-cased, singular or plural; v1 calls stacks environments. */
const COLLECTIONS: Record<string, string> = {
  project: 'project', projects: 'project',
  stack: 'stack', stacks: 'stack', environment: 'stack', environments: 'stack',
  service: 'service', services: 'service', loadbalancerservice: 'lb', loadbalancerservices: 'lb',
  certificate: 'certificate', certificates: 'certificate',
  pulltask: 'pullTask', pulltasks: 'pullTask',
  instance: 'instance', instances: 'instance', container: 'instance', containers: 'instance',
  setting: 'setting', settings: 'setting',
};

export class RancherSimulator extends Cluster {
  readonly projects = [
    { id: '1a5', name: 'Default' },
    { id: '1a7', name: 'Production' },
  ];
  readonly keys: Key[] = [
    { access: 'ENVKEY5', secret: 'env-secret-5-do-not-log', project: '1a5' },
    { access: 'ACCOUNTKEY', secret: 'account-secret-do-not-log' },
  ];
  /** The largest page the server sends (V5: 3000; lower to exercise paging). */
  maxPage = 3000;
  readonly requests: { method: string; path: string; auth: string; body?: Json; host: string }[] = [];
  private server?: http.Server;
  url = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.services) s.run++;
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  imageOf(svc: Service): string {
    return String(svc.launchConfig.imageUuid).replace(/^docker:/, '');
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json) : undefined;
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: `${url.pathname}${url.search}`, auth: req.headers.authorization ?? '', body, host: req.headers.host ?? '' });
    if (this.faults.slowMs) await new Promise((r) => setTimeout(r, this.faults.slowMs));
    // V6: links are built from the request's base URL, X-Forwarded-Proto/Host honoured.
    const origin = this.faults.linkOrigin ?? `${String(req.headers['x-forwarded-proto'] ?? 'http')}://${String(req.headers['x-forwarded-host'] ?? req.headers.host)}`;
    const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', 'x-api-schemas': `${origin}/v2-beta/schemas`, ...headers });
      res.end(JSON.stringify(data));
    };
    try {
      if (this.faults.redirect && url.pathname.startsWith(this.faults.redirect.prefix)) return send(307, {}, { location: this.faults.redirect.to });
      if (this.faults.fail5xx > 0) {
        this.faults.fail5xx--;
        throw new ApiError(503, 'ServiceUnavailable', 'simulated 503');
      }
      const key = this.authenticate(req.headers.authorization);
      const write = method !== 'GET';
      if (write && this.faults.conflicts > 0) {
        this.faults.conflicts--;
        throw new ApiError(409, 'Conflict', null); // V20
      }
      const [status, data] = this.route(method, url, body ?? {}, key, origin, req.headers['x-api-project-id'] as string | undefined);
      if (write && this.faults.loseAnswers > 0) {
        this.faults.loseAnswers--;
        res.destroy(); // the write took effect; its answer never arrives
        return;
      }
      if (this.faults.loopPages && (data as Json)?.type === 'collection') (data as Json).pagination = { partial: true, next: `${origin}${url.pathname}${url.search}` };
      send(status, data);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(500, 'ServerError', (err as Error).message);
      send(e.status, { id: crypto.randomUUID(), type: 'error', links: {}, actions: {}, status: e.status, code: e.code, message: e.body, detail: null, ...(e.fieldName ? { fieldName: e.fieldName } : {}), baseType: 'error' });
    }
  }

  /** V1: bad Basic credentials are 401 Unauthorized. */
  private authenticate(header: string | undefined): Key {
    const m = /^Basic (.+)$/.exec(header ?? '');
    const [access, secret] = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':') : [];
    const key = this.keys.find((k) => k.access === access && k.secret === secret);
    if (!key) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    return key;
  }

  private route(method: string, url: URL, body: Json, key: Key, origin: string, projectHeader?: string): [number, unknown] {
    const m = /^\/(v1|v2-beta)(\/.*)?$/.exec(url.pathname.replace(/\/+$/, ''));
    if (!m) throw new ApiError(404, 'NotFound', null);
    const version = m[1] as Base['version'];
    let parts = (m[2] ?? '').split('/').filter(Boolean);
    if (!parts.length) return [200, { type: 'apiVersion', id: version, links: { self: `${origin}/${version}`, schemas: `${origin}/${version}/schemas` } }];
    if (parts[0] === 'schemas') return [200, this.schemas(key)];
    // V2: an environment key sees only its project; /projects/<own>/x is /x.
    let project = key.project ?? projectHeader;
    if (parts[0]!.toLowerCase() === 'projects' && parts.length >= 2) {
      if (key.project && idNumber(key.project) !== idNumber(parts[1]!)) throw new ApiError(404, 'NotFound', null);
      project = this.projects.find((p) => idNumber(p.id) === idNumber(parts[1]!))?.id;
      if (!project) throw new ApiError(404, 'NotFound', null);
      parts = parts.slice(2);
      if (!parts.length) return [200, this.project(project, { origin, version, project })];
    } else if (parts[0]!.toLowerCase() === 'projects') {
      const visible = this.projects.filter((p) => !key.project || p.id === key.project);
      return [200, collection(filter(visible.map((p) => this.project(p.id, { origin, version, project: p.id })), url.searchParams), url, origin, this.maxPage)];
    }
    const kind = COLLECTIONS[parts[0]!.toLowerCase()];
    if (kind === 'setting') {
      // V23: lb.instance.image is a server setting.
      const value = this.settings[parts[1] ?? ''];
      if (value === undefined) throw new ApiError(404, 'NotFound', null);
      return [200, { id: parts[1], type: 'activeSetting', name: parts[1], value, activeValue: value, links: {}, actions: {} }];
    }
    if (!project) throw new ApiError(404, 'NotFound', 'an account key needs /projects/<id> or X-API-Project-Id');
    if (!kind) throw new ApiError(404, 'NotFound', null);
    const b: Base = { origin, version, project };
    const list = (data: Json[]) => [200, collection(data, url, origin, this.maxPage)] as [number, unknown];
    const action = url.searchParams.get('action');
    const own = <T extends { accountId: unknown; state?: unknown }>(items: T[]) => items.filter((i) => i.accountId === project && i.state !== 'removed');

    if (kind === 'stack') {
      if (parts.length === 1 && method === 'GET') return list(filter(own(this.stacks), url.searchParams).map((s) => formatStack(s, b)));
      if (parts.length === 1 && method === 'POST') return [201, formatStack(this.createStack(body, project), b)];
      const st = own(this.stacks).find((s) => s.id === idNumber(parts[1]!));
      if (!st) throw new ApiError(404, 'NotFound', null);
      if (parts[2]?.toLowerCase() === 'services') return list(filter(own(this.services).filter((s) => s.stackId === st.id), url.searchParams).map((s) => formatService(this, s, b))); // V26
      if (action) return [202, formatStack(this.stackAction(st, action), b)];
      if (method === 'GET') return [200, formatStack(st, b)];
    }
    if (kind === 'service' || kind === 'lb') {
      const mine = own(this.services).filter((s) => kind === 'service' || s.kind === 'loadBalancerService');
      if (parts.length === 1 && method === 'GET') return list(filter(mine, url.searchParams).map((s) => formatService(this, s, b)));
      if (parts.length === 1 && method === 'POST') return [201, formatService(this, this.createService(body, project, kind === 'lb' ? 'loadBalancerService' : 'service', version === 'v1'), b)];
      const svc = mine.find((s) => s.id === idNumber(parts[1]!));
      if (!svc) throw new ApiError(404, 'NotFound', null);
      if (parts[2]?.toLowerCase() === 'instances') return list(formatInstances(svc, b)); // V26
      if (action) return [202, formatService(this, serviceAction(this, svc, action, body), b)];
      if (method === 'PUT') return [200, formatService(this, this.updateService(svc, body, this.offered(svc)), b)];
      if (method === 'GET') return [200, formatService(this, svc, b)];
    }
    if (kind === 'certificate') {
      if (parts.length === 1 && method === 'GET') return list(filter(own(this.certificates as (Json & { accountId: unknown })[]), url.searchParams).map((c) => formatCertificate(c, b)));
      if (parts.length === 1 && method === 'POST') return [201, formatCertificate(this.createCertificate(body, project), b)];
      const cert = own(this.certificates as (Json & { accountId: unknown })[]).find((c) => idNumber(String(c.id)) === idNumber(parts[1]!));
      if (!cert) throw new ApiError(404, 'NotFound', null);
      if (method === 'PUT') return [200, formatCertificate(this.updateCertificate(cert, body), b)];
      return [200, formatCertificate(cert, b)];
    }
    if (kind === 'pullTask' && method === 'POST') {
      const task = this.pullTask(body);
      return [201, { ...task, links: { self: `${prefix(b)}/pulltasks/${String(task.id)}` }, actions: {} }];
    }
    if (kind === 'pullTask' && method === 'GET' && parts[1]) {
      const task = this.tasks.get(parts[1]);
      if (!task) throw new ApiError(404, 'NotFound', null);
      return [200, { ...task, links: { self: `${prefix(b)}/pulltasks/${String(task.id)}` }, actions: {} }];
    }
    throw new ApiError(405, 'MethodNotAllowed', null);
  }

  private offered(svc: Service): string[] {
    return (SERVICE_ACTIONS[svc.state] ?? []).filter((a) => !this.faults.actionNotAvailable.has(a));
  }

  private project(id: string, b: Base): Json {
    const p = this.projects.find((x) => x.id === id)!;
    return { ...p, type: 'project', state: 'active', links: { self: prefix(b) }, actions: {} };
  }

  private stackAction(st: Stack, action: string): Stack {
    if (!(STACK_ACTIONS[st.state] ?? []).includes(action)) throw new ApiError(422, 'ActionNotAvailable', null, 'action');
    return st;
  }

  /** V2: an environment key's schemas leave out secrets. */
  private schemas(key: Key): Json {
    const schema = (id: string, collectionMethods: string[], resourceActions: string[] = []) => ({ id, type: 'schema', collectionMethods, resourceActions: Object.fromEntries(resourceActions.map((a) => [a, {}])) });
    const actions = ['activate', 'addservicelink', 'cancelupgrade', 'continueupgrade', 'deactivate', 'finishupgrade', 'remove', 'removeservicelink', 'restart', 'rollback', 'setservicelinks', 'update', 'upgrade'];
    return {
      type: 'collection',
      resourceType: 'schema',
      data: [
        schema('project', ['GET']),
        schema('stack', ['GET', 'POST'], ['upgrade', 'finishupgrade', 'rollback', 'cancelupgrade', 'exportconfig', 'activateservices', 'deactivateservices']),
        schema('service', ['GET', 'POST'], actions),
        schema('loadBalancerService', ['GET', 'POST'], actions),
        schema('certificate', ['GET', 'POST']),
        ...(key.project ? [] : [schema('secret', ['GET', 'POST'])]),
        schema('pullTask', ['GET', 'POST']),
        schema('setting', ['GET']),
      ],
    };
  }
}

/**
 * The Rancher 1.x contract simulator (a TEST DOUBLE) checked against the facts of
 * shared/reference/rancher-api.md: every state transition, default and error body the reference
 * states, each test naming its section. The deploy tests are only as good as this double.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RancherSimulator, SERVICE_ACTIONS } from '../support/rancher-simulator';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const sim = new RancherSimulator();
const ENV = () => `Basic ${Buffer.from(`ENVKEY5:${sim.keys[0]!.secret}`).toString('base64')}`;
const ACCOUNT = () => `Basic ${Buffer.from(`ACCOUNTKEY:${sim.keys[1]!.secret}`).toString('base64')}`;

async function api(method: string, path: string, body?: unknown, auth = ENV(), headers: Record<string, string> = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(path.startsWith('http') ? path : `${sim.url}${path}`, {
    method,
    headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

async function until(path: string, done: (r: Json) => boolean, ms = 10_000): Promise<Json> {
  const end = Date.now() + ms;
  for (;;) {
    const r = (await api('GET', path)).body;
    if (done(r)) return r;
    if (Date.now() > end) throw new Error(`timed out waiting on ${path}: ${JSON.stringify({ state: r.state })}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

function freshService(scale = 2, image = 'acme/app:1') {
  const st = sim.addStack(`s${Math.random().toString(36).slice(2, 8)}`);
  const svc = sim.addService(st, 'web', image, scale);
  return { st, svc, path: `/v2-beta/projects/1a5/services/1s${svc.id}` };
}

beforeAll(async () => {
  sim.healthyAfterMs = 50;
  await sim.start();
});
afterAll(() => sim.stop());

describe('Rancher simulator (test double) conforms to shared/reference/rancher-api.md', () => {
  it('§2.1, §1.1: /v1 and /v2-beta answer with X-API-Schemas; the schemas list what rancher-compose needs', async () => {
    for (const v of ['v1', 'v2-beta']) {
      const root = await api('GET', `/${v}`);
      expect(root.status).toBe(200);
      expect(root.headers.get('x-api-schemas')).toMatch(/\/schemas$/);
    }
    const schemas = (await api('GET', '/v2-beta/schemas')).body.data as Json[];
    expect(schemas.map((s) => s.id)).toEqual(expect.arrayContaining(['project', 'stack', 'service', 'loadBalancerService', 'certificate', 'secret', 'pullTask']));
    expect(schemas.find((s) => s.id === 'stack')!.collectionMethods).toContain('POST'); // §1.1: rancher-compose refuses otherwise
    expect(Object.keys(schemas.find((s) => s.id === 'service')!.resourceActions)).toEqual(expect.arrayContaining(['upgrade', 'finishupgrade', 'rollback', 'cancelupgrade', 'continueupgrade']));
  });

  it('§1.2, §2.2: basic auth or 401; an environment key needs no /projects/<id>; an account key does, or X-API-Project-Id', async () => {
    expect((await api('GET', '/v2-beta/stacks', undefined, 'Basic bm86bm8=')).status).toBe(401);
    expect((await api('GET', '/v2-beta/stacks')).status).toBe(200);
    expect((await api('GET', '/v2-beta/projects/1a5/stacks')).status).toBe(200);
    expect((await api('GET', '/v2-beta/projects/1a7/stacks')).status).toBe(404); // not this key's project
    expect((await api('GET', '/v2-beta/projects', undefined, ACCOUNT())).body.data.map((p: Json) => p.id)).toEqual(['1a5', '1a7']);
    expect((await api('GET', '/v2-beta/projects')).body.data.map((p: Json) => p.id)).toEqual(['1a5']);
    expect((await api('GET', '/v2-beta/projects/1a7/stacks', undefined, ACCOUNT())).status).toBe(200);
    expect((await api('GET', '/v2-beta/stacks', undefined, ACCOUNT())).status).toBe(404);
    expect((await api('GET', '/v2-beta/stacks', undefined, ACCOUNT(), { 'x-api-project-id': '1a7' })).status).toBe(200);
  });

  it('§1.3, §2.3: collections with filters (name exact and case-sensitive, stackId, removed_null), limit and paging', async () => {
    const st = sim.addStack('Paged');
    for (let i = 0; i < 5; i++) sim.addService(st, `svc${i}`, 'acme/app:1', 1);
    const exact = (await api('GET', '/v2-beta/stacks?name=Paged&removed_null=')).body;
    expect(exact).toMatchObject({ type: 'collection', data: [{ name: 'Paged', type: 'stack', id: `1st${st.id}` }] });
    expect((await api('GET', '/v2-beta/stacks?name=paged')).body.data).toEqual([]);
    sim.maxPage = 2;
    try {
      const first = (await api('GET', `/v2-beta/services?stackId=1st${st.id}&limit=1000`)).body;
      expect(first.data).toHaveLength(2);
      expect(first.pagination).toMatchObject({ limit: 2, total: 5, partial: true });
      const second = (await api('GET', first.pagination.next)).body;
      expect(second.data.map((s: Json) => s.name)).toEqual(['svc2', 'svc3']);
    } finally {
      sim.maxPage = 1000;
    }
  });

  it('§1.1, §2.4: v1 calls a stack an environment (type, 1e id, environmentId, /environments/ links)', async () => {
    const { st, svc } = freshService(1);
    const env = (await api('GET', `/v1/projects/1a5/environments?name=${st.name}`)).body.data[0];
    expect(env).toMatchObject({ type: 'environment', kind: 'environment', id: `1e${st.id}` });
    expect(env.links.self).toContain(`/v1/projects/1a5/environments/1e${st.id}`);
    const services = (await api('GET', `/v1/projects/1a5/environments/1e${st.id}/services`)).body.data;
    expect(services[0]).toMatchObject({ id: `1s${svc.id}`, environmentId: `1e${st.id}` });
    expect(services[0].links.environment).toContain('/environments/');
  });

  it('§1.1, §2.5: collection names case-insensitive, singular or plural; a trailing slash before ?action=', async () => {
    const { svc } = freshService(1);
    expect((await api('GET', `/v2-beta/service/1s${svc.id}`)).body.id).toBe(`1s${svc.id}`);
    expect((await api('GET', `/v2-beta/Services/1s${svc.id}`)).body.id).toBe(`1s${svc.id}`);
    expect((await api('GET', '/v2-beta/loadbalancerservices')).status).toBe(200);
    expect((await api('POST', `/v2-beta/projects/1a5/services/1s${svc.id}/?action=deactivate`)).status).toBe(202);
  });

  it('§1.10, §2.6: the actions map follows the state; anything else is 422 ActionNotAvailable, an unknown name InvalidAction', async () => {
    const { path } = freshService(1);
    const active = (await api('GET', path)).body;
    expect(Object.keys(active.actions).sort()).toEqual([...SERVICE_ACTIONS.active!].sort());
    expect(active.actions).not.toHaveProperty('finishupgrade');
    const early = await api('POST', `${path}?action=finishupgrade`);
    expect(early.status).toBe(422);
    // §1.4: the body jenkinsci/rancher-plugin#15 got
    expect(early.body).toMatchObject({ type: 'error', status: 422, code: 'ActionNotAvailable', message: null, detail: null, fieldName: 'action', baseType: 'error', links: {}, actions: {} });
    expect((await api('POST', `${path}?action=explode`)).body).toMatchObject({ status: 422, code: 'InvalidAction', fieldName: 'action' });
  });

  it('§1.8: upgrade validation (no strategy, no launch config, interval under 100) and the defaults 1 / 2000 / stop-first', async () => {
    const { path } = freshService(1);
    expect((await api('POST', `${path}?action=upgrade`, {})).body).toMatchObject({ status: 422, code: 'MissingRequired', message: 'Upgrade strategy needs to be set' });
    expect((await api('POST', `${path}?action=upgrade`, { inServiceStrategy: {} })).body).toMatchObject({
      status: 422,
      code: 'InvalidOption',
      message: 'LaunchConfig/secondaryLaunchConfigs need to be specified for inService strategy',
    });
    expect((await api('POST', `${path}?action=upgrade`, { inServiceStrategy: { launchConfig: { imageUuid: 'docker:acme/app:2' }, intervalMillis: 50 } })).body).toMatchObject({ status: 422, code: 'MinLimitExceeded', fieldName: 'intervalMillis' });
    const res = await api('POST', `${path}?action=upgrade`, { inServiceStrategy: { launchConfig: { imageUuid: 'docker:acme/app:2' } }, toServiceStrategy: {} });
    expect(res.status).toBe(202); // §1.3: an action answers 202 with the resource, already upgrading
    expect(res.body).toMatchObject({ state: 'upgrading', transitioning: 'yes' });
    expect(res.body.upgrade.inServiceStrategy).toMatchObject({ batchSize: 1, intervalMillis: 2000, startFirst: false, previousLaunchConfig: { imageUuid: 'docker:acme/app:1' } });
    const upgraded = await until(path, (s) => s.state === 'upgraded');
    expect(upgraded.transitioning).toBe('no');
    expect(Object.keys(upgraded.actions).sort()).toEqual(['finishupgrade', 'remove', 'rollback']);
  });

  it('§1.11: batches of batchSize, intervalMillis apart; stop-first stops before it starts, start-first the other way; old containers stopped, not removed, until finishupgrade', async () => {
    for (const startFirst of [false, true]) {
      const { svc, path } = freshService(4);
      let most = 0;
      const watch = setInterval(() => (most = Math.max(most, sim.running(svc).length)), 5);
      await api('POST', `${path}?action=upgrade`, { inServiceStrategy: { batchSize: 2, intervalMillis: 300, startFirst, launchConfig: { imageUuid: 'docker:acme/app:2' } } });
      await until(path, (s) => s.state === 'upgraded');
      clearInterval(watch);
      const batches = sim.batches.slice(-2);
      expect(batches.map((b) => b.batch)).toEqual([1, 2]);
      expect(batches[1]!.startedAt - batches[0]!.endedAt).toBeGreaterThanOrEqual(300);
      expect(most).toBe(startFirst ? 6 : 4);
      expect(svc.instances.filter((i) => i.state === 'stopped')).toHaveLength(4);
      await api('POST', `${path}?action=finishupgrade`);
      const active = await until(path, (s) => s.state === 'active');
      expect(active.upgrade).toBeNull();
      expect(svc.instances.filter((i) => i.state === 'stopped')).toHaveLength(0);
    }
  });

  it('§1.11: the health wait has no timeout: a never-healthy container keeps the service upgrading', async () => {
    const { path } = freshService(1);
    sim.faults.neverHealthy.add('docker:acme/app:never');
    await api('POST', `${path}?action=upgrade`, { inServiceStrategy: { launchConfig: { imageUuid: 'docker:acme/app:never' } } });
    await new Promise((r) => setTimeout(r, 800));
    expect((await api('GET', path)).body).toMatchObject({ state: 'upgrading', transitioning: 'yes', healthState: 'initializing' });
  });

  it('§1.9: rollback from upgrading restarts the original containers (same ids) with the previous launch config', async () => {
    const { svc, path } = freshService(2);
    const before = sim.running(svc).map((i) => i.id);
    sim.faults.neverHealthy.add('docker:acme/app:stuck');
    await api('POST', `${path}?action=upgrade`, { inServiceStrategy: { launchConfig: { imageUuid: 'docker:acme/app:stuck' } } });
    await new Promise((r) => setTimeout(r, 100));
    const rolling = await api('POST', `${path}?action=rollback`);
    expect(rolling.body).toMatchObject({ state: 'rolling-back', transitioning: 'yes' });
    const back = await until(path, (s) => s.state === 'active');
    expect(back.launchConfig.imageUuid).toBe('docker:acme/app:1');
    expect(sim.running(svc).map((i) => i.id)).toEqual(before);
  });

  it('§1.9, §1.10: cancelupgrade to canceled-upgrade, then continueupgrade back to upgraded', async () => {
    const { path } = freshService(2);
    sim.healthyAfterMs = 400;
    await api('POST', `${path}?action=upgrade`, { inServiceStrategy: { launchConfig: { imageUuid: 'docker:acme/app:2' } } });
    expect((await api('POST', `${path}?action=cancelupgrade`)).body.state).toBe('canceling-upgrade');
    const canceled = await until(path, (s) => s.state === 'canceled-upgrade');
    expect(Object.keys(canceled.actions).sort()).toEqual(['continueupgrade', 'remove', 'rollback']);
    sim.healthyAfterMs = 50;
    expect((await api('POST', `${path}?action=continueupgrade`)).body.state).toBe('upgrading');
    await until(path, (s) => s.state === 'upgraded');
  });

  it('§1.7, §2.10: create without startOnCreate ends inactive and needs activate; scale by PUT', async () => {
    const st = sim.addStack('created');
    const created = await api('POST', '/v2-beta/services', { name: 'api', stackId: `1st${st.id}`, scale: 2, launchConfig: { imageUuid: 'docker:acme/api:1' } });
    expect(created.status).toBe(201);
    expect(created.body.state).toBe('inactive');
    expect(Object.keys(created.body.actions)).toContain('activate');
    const path = `/v2-beta/services/${created.body.id}`;
    await api('POST', `${path}?action=activate`);
    await until(path, (s) => s.state === 'active' && s.currentScale === 2);
    expect((await api('PUT', path, { scale: 3 })).body.scale).toBe(3);
    await until(path, (s) => s.currentScale === 3 && s.healthState === 'healthy');
    expect((await api('POST', '/v2-beta/services', { name: 'bad name', stackId: `1st${st.id}`, launchConfig: {} })).body).toMatchObject({ status: 422, code: 'InvalidCharacters', fieldName: 'name' });
  });

  it('§1.13, §2.9: a load balancer needs lbConfig; its lbConfig is replaced whole by a PUT', async () => {
    const { st, svc } = freshService(1);
    expect((await api('POST', '/v2-beta/loadbalancerservices', { name: 'lb', stackId: `1st${st.id}`, launchConfig: { imageUuid: 'docker:rancher/lb-service-haproxy:v0.7.15' } })).body).toMatchObject({
      status: 422,
      code: 'MissingRequired',
      fieldName: 'lbConfig',
    });
    const lb = await api('POST', '/v2-beta/loadbalancerservices', {
      name: 'lb',
      stackId: `1st${st.id}`,
      startOnCreate: true,
      launchConfig: { imageUuid: 'docker:rancher/lb-service-haproxy:v0.7.15' },
      lbConfig: { portRules: [{ sourcePort: 80, targetPort: 8080, serviceId: `1s${svc.id}` }, { sourcePort: 81, targetPort: 8080, serviceId: `1s${svc.id}` }] },
    });
    expect(lb.body).toMatchObject({ type: 'loadBalancerService', baseType: 'service' });
    const put = await api('PUT', `/v2-beta/services/${lb.body.id}`, { lbConfig: { portRules: [{ sourcePort: 80, targetPort: 8080, serviceId: 'other' }] } });
    expect(put.body.lbConfig).toEqual({ portRules: [{ sourcePort: 80, targetPort: 8080, serviceId: 'other' }] });
  });

  it('§1.14, §2.8: a stack created with dockerCompose and rancherCompose gets its services, scales and health checks', async () => {
    const res = await api('POST', '/v2-beta/stacks', {
      name: 'composed',
      dockerCompose: 'services:\n  web:\n    image: acme/web:${tag}\n',
      rancherCompose: 'services:\n  web:\n    scale: 3\n    health_check:\n      port: 80\n      request_line: GET / HTTP/1.0\n',
      environment: { tag: '7' },
      startOnCreate: true,
    });
    expect(res.status).toBe(201);
    const web = (await api('GET', `/v2-beta/stacks/${res.body.id}/services`)).body.data[0];
    expect(web).toMatchObject({ name: 'web', scale: 3, launchConfig: { imageUuid: 'docker:acme/web:7', healthCheck: { port: 80, requestLine: 'GET / HTTP/1.0', strategy: 'recreate' } } });
    expect((await api('POST', '/v2-beta/stacks', { name: 'composed' })).body).toMatchObject({ status: 422, code: 'NotUnique', fieldName: 'name' });
    expect((await api('POST', `/v2-beta/stacks/${res.body.id}?action=finishupgrade`)).body).toMatchObject({ status: 422, code: 'ActionNotAvailable' }); // §1.10: only from upgraded
  });

  it('faults: 5xx, slow answers, ActionNotAvailable on a listed action, health never green', async () => {
    sim.faults.fail5xx = 1;
    expect((await api('GET', '/v2-beta/stacks')).status).toBe(503);
    expect((await api('GET', '/v2-beta/stacks')).status).toBe(200);
    sim.faults.slowMs = 200;
    const t0 = Date.now();
    await api('GET', '/v2-beta/stacks');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    sim.faults.slowMs = 0;
    const { path } = freshService(1);
    sim.faults.actionNotAvailable.add('restart');
    expect((await api('GET', path)).body.actions).toHaveProperty('restart');
    expect((await api('POST', `${path}?action=restart`)).body).toMatchObject({ status: 422, code: 'ActionNotAvailable' });
    sim.faults.actionNotAvailable.clear();
  });
});

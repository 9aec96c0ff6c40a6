/**
 * The Rancher 1.6 simulator (a TEST DOUBLE) checked against what a real server does, one test per
 * vector of shared/reference/rancher-1.6-conformance.md (V1 to V27), each naming it. These
 * tests talk HTTP to the simulator as any client would; none goes through rancher-deploy's
 * client, so the double cannot drift towards what the client expects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LB_INSTANCE_IMAGE, RancherSimulator, SERVICE_ACTIONS } from '../support/rancher-simulator';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const sim = new RancherSimulator();
const basic = (access: string, secret: string) => `Basic ${Buffer.from(`${access}:${secret}`).toString('base64')}`;
const ENV = () => basic('ENVKEY5', sim.keys[0]!.secret);
const ACCOUNT = () => basic('ACCOUNTKEY', sim.keys[1]!.secret);

async function api(method: string, path: string, body?: unknown, auth = ENV(), headers: Record<string, string> = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(path.startsWith('http') ? path : `${sim.url}${path}`, {
    method,
    headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
    redirect: 'manual',
  });
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

async function until(path: string, done: (r: Json) => boolean, ms = 10_000): Promise<Json> {
  const end = Date.now() + ms;
  for (;;) {
    const r = (await api('GET', path)).body;
    if (done(r)) return r;
    if (Date.now() > end) throw new Error(`timed out waiting on ${path}: ${JSON.stringify({ state: r.state, transitioning: r.transitioning, healthState: r.healthState })}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

let n = 0;
function fresh(scale = 2, image = 'acme/app:1', extra: Json = {}) {
  const st = sim.addStack(`s${++n}`);
  const svc = sim.addService(st, 'web', image, scale, extra);
  return { st, svc, path: `/v2-beta/projects/1a5/services/1s${svc.id}` };
}

const upgradeBody = (image: string, s: Json = {}) => ({ inServiceStrategy: { batchSize: 1, intervalMillis: 100, startFirst: true, launchConfig: { imageUuid: `docker:${image}` }, ...s } });

beforeAll(async () => {
  sim.healthyAfterMs = 50;
  sim.executorMs = 20;
  await sim.start();
});
afterAll(() => sim.stop());

describe('Rancher 1.6 simulator (test double): A. keys, versions, lookups', () => {
  it('V1: a wrong key is 401 with code Unauthorized and message Unauthorized', async () => {
    const r = await api('GET', '/v2-beta/stacks', undefined, basic('ENVKEY5', 'wrong'));
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ type: 'error', status: 401, code: 'Unauthorized', message: 'Unauthorized' });
  });

  it("V2: an environment key sees only its own project, /projects/<own>/x is /x, and its schemas hide secrets", async () => {
    const projects = await api('GET', '/v2-beta/projects?limit=1000');
    expect(projects.body.data.map((p: Json) => p.id)).toEqual(['1a5']);
    const st = sim.addStack('v2scope');
    const a = await api('GET', `/v2-beta/stacks/1st${st.id}`);
    const b = await api('GET', `/v2-beta/projects/1a5/stacks/1st${st.id}`);
    expect([a.status, b.status, a.body.name, b.body.name]).toEqual([200, 200, 'v2scope', 'v2scope']);
    expect((await api('GET', '/v2-beta/projects/1a7/stacks')).status).toBe(404);
    expect((await api('GET', '/v2-beta/schemas')).body.data.map((s: Json) => s.id)).not.toContain('secret');
    expect((await api('GET', '/v2-beta/projects', undefined, ACCOUNT())).body.data).toHaveLength(2);
  });

  it('V3: on /v1 an environmentId filter on services is ignored (every web of the environment comes back); stackId filters', async () => {
    const a = sim.addStack('v3a');
    const b = sim.addStack('v3b');
    sim.addService(a, 'web', 'acme/a:1');
    sim.addService(b, 'web', 'acme/b:1');
    const ignored = await api('GET', `/v1/projects/1a5/services?name=web&environmentId=1e${a.id}`);
    const stacks = new Set(ignored.body.data.map((s: Json) => s.stackId));
    expect(stacks.has(`1e${a.id}`) && stacks.has(`1e${b.id}`)).toBe(true);
    for (const ref of [`1e${a.id}`, `1st${a.id}`]) {
      const filtered = await api('GET', `/v1/projects/1a5/services?name=web&stackId=${ref}`);
      expect(filtered.body.data.map((s: Json) => s.launchConfig.imageUuid)).toEqual(['docker:acme/a:1']);
    }
  });

  it('V4: name is compared case-insensitively; removed_null ignores its value; an unknown filter is skipped', async () => {
    sim.addStack('CaseStack');
    for (const q of ['name=casestack', 'name=CASESTACK&removed_null=1', 'name=casestack&nosuchfield=1'])
      expect((await api('GET', `/v2-beta/stacks?${q}`)).body.data.map((s: Json) => s.name)).toEqual(['CaseStack']);
  });

  it('V5: limit 100 by default and up to 3000; next is absolute with the same query and a marker, partial while more, null on the last page', async () => {
    const st = sim.addStack('v5');
    for (let i = 0; i < 105; i++) sim.addService(st, `p${i}`, 'acme/p:1', 0);
    const first = await api('GET', `/v2-beta/services?stackId=1st${st.id}`);
    expect([first.body.data.length, first.body.pagination.partial]).toEqual([100, true]);
    const next = new URL(first.body.pagination.next);
    expect([next.origin, next.searchParams.get('stackId'), next.searchParams.has('marker')]).toEqual([sim.url, `1st${st.id}`, true]);
    const last = await api('GET', first.body.pagination.next);
    expect([last.body.data.length, last.body.pagination.partial, last.body.pagination.next]).toEqual([5, false, null]);
    expect((await api('GET', `/v2-beta/services?stackId=1st${st.id}&limit=5000`)).body.data).toHaveLength(105);
  });

  it("V6: links are absolute, from the request's base URL (X-Forwarded-Proto/Host honoured); actions are <plural>/<id>/?action=; an LB's self is under /loadbalancerservices/", async () => {
    const { svc, path } = fresh(1);
    const r = await api('GET', path, undefined, ENV(), { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'rancher.example.com' });
    expect(r.body.links.self).toBe(`https://rancher.example.com/v2-beta/projects/1a5/services/1s${svc.id}`);
    expect(r.body.actions.upgrade).toBe(`https://rancher.example.com/v2-beta/projects/1a5/services/1s${svc.id}/?action=upgrade`);
    const lb = sim.addService(sim.addStack('v6lb'), 'lb', 'rancher/lb-service-haproxy:v0.9.14', 0, { kind: 'loadBalancerService', lbConfig: { portRules: [] } });
    expect((await api('GET', `/v2-beta/loadbalancerservices/1s${lb.id}`)).body.links.self).toBe(`${sim.url}/v2-beta/projects/1a5/loadbalancerservices/1s${lb.id}`);
  });

  it('V7: on v1 a stack is an environment (1e id, /environments/ links); v1 services carry environmentId, stackId and links.environment; a POST body environmentId becomes stackId', async () => {
    const st = sim.addStack('v7');
    sim.addService(st, 'web', 'acme/v7:1');
    const env = (await api('GET', `/v1/projects/1a5/environments/1e${st.id}`)).body;
    expect([env.type, env.kind, env.id]).toEqual(['environment', 'environment', `1e${st.id}`]);
    expect(env.links.self).toContain('/environments/');
    const svc = (await api('GET', env.links.services)).body.data[0];
    expect([svc.environmentId, svc.stackId, Boolean(svc.links.environment)]).toEqual([`1e${st.id}`, `1e${st.id}`, true]);
    const made = await api('POST', '/v1/projects/1a5/services', { name: 'made', environmentId: `1e${st.id}`, launchConfig: { imageUuid: 'docker:acme/m:1' } });
    expect([made.status, made.body.stackId]).toEqual([201, `1e${st.id}`]);
  });

  it('V8: ids are 1 + a short type + a number, and the parser ignores the letters', async () => {
    const { svc } = fresh(1);
    for (const ref of [`1s${svc.id}`, `${svc.id}`, `1xyz${svc.id}`]) expect((await api('GET', `/v2-beta/services/${ref}`)).body.id).toBe(`1s${svc.id}`);
  });
});

const DC = `version: "2"\nservices:\n  web:\n    image: acme/web:\${TAG}\n`;

describe('Rancher 1.6 simulator (test double): B. stacks and server-side compose', () => {
  it('V9: a stack is created asynchronously (201, transitioning yes, active later); an executor error leaves transitioning error with a message; a duplicate name is NotUnique', async () => {
    const made = await api('POST', '/v2-beta/stacks', { name: 'v9', dockerCompose: DC, environment: { TAG: '7' }, startOnCreate: true });
    expect([made.status, made.body.transitioning, made.body.state]).toEqual([201, 'yes', 'activating']);
    const active = await until(made.body.links.self, (s) => s.state === 'active');
    expect(active.transitioning).toBe('no');
    expect((await api('GET', active.links.services)).body.data[0].launchConfig.imageUuid).toBe('docker:acme/web:7');
    const bad = await api('POST', '/v2-beta/stacks', { name: 'v9bad', dockerCompose: 'version: "3"\nservices:\n  web:\n    image: x\n' });
    const failed = await until(bad.body.links.self, (s) => s.transitioning === 'error');
    expect([failed.state, failed.transitioningMessage]).toEqual(['activating', expect.stringContaining('version')]);
    const dup = await api('POST', '/v2-beta/stacks', { name: 'V9' });
    expect([dup.status, dup.body.code, dup.body.fieldName]).toEqual([422, 'NotUnique', 'name']);
  });

  it('V10: only version "2" is v2 (others read as v1, "3" refused); no healthcheck; depends_on a list; ${VAR:-x} is an invalid interpolation; rancher-compose.yml merged', async () => {
    const cases: [string, RegExp][] = [
      ['version: "3"\nservices:\n  web:\n    image: x\n', /version: 3/],
      ['services:\n  web:\n    image: x\n', /Unsupported config option for services service: 'web'/], // no version: v1
      ['version: "2"\nservices:\n  web:\n    image: x\n    healthcheck:\n      test: ["CMD", "true"]\n', /Unsupported config option for web service: 'healthcheck'/],
      ['version: "2"\nservices:\n  db:\n    image: x\n  web:\n    image: y\n    depends_on:\n      db:\n        condition: service_healthy\n', /'depends_on' contains an invalid type/],
      ['version: "2"\nservices:\n  web:\n    image: acme/web:${TAG:-1}\n', /Invalid interpolation format/],
    ];
    for (const [i, [dockerCompose, message]] of cases.entries()) {
      const r = await api('POST', '/v2-beta/stacks', { name: `v10x${i}`, dockerCompose });
      expect((await until(r.body.links.self, (s) => s.transitioning === 'error')).transitioningMessage).toMatch(message);
    }
    const ok = await api('POST', '/v2-beta/stacks', { name: 'v10ok', dockerCompose: 'version: "2"\nservices:\n  web:\n    image: x\n    depends_on: [db]\n  db:\n    image: y\n', rancherCompose: 'version: "2"\nservices:\n  web:\n    scale: 3\n' });
    const st = await until(ok.body.links.self, (s) => s.state === 'active');
    const services = (await api('GET', st.links.services)).body.data as Json[];
    expect(services.find((s) => s.name === 'web')!.scale).toBe(3);
  });
});

describe('Rancher 1.6 simulator (test double): C. services, actions, health', () => {
  it('V11: actions lists exactly what the state offers, through upgrading, upgraded and rolling-back', async () => {
    const { path } = fresh(1);
    expect(Object.keys((await api('GET', path)).body.actions).sort()).toEqual([...SERVICE_ACTIONS.active!].sort());
    const up = await api('POST', `${path}/?action=upgrade`, upgradeBody('acme/app:2'));
    expect(Object.keys(up.body.actions).sort()).toEqual(['cancelupgrade', 'remove', 'rollback', 'update']);
    const upgraded = await until(path, (s) => s.state === 'upgraded');
    expect(Object.keys(upgraded.actions).sort()).toEqual(['finishupgrade', 'remove', 'rollback']);
    const back = await api('POST', upgraded.actions.rollback);
    expect([back.body.state, Object.keys(back.body.actions).sort()]).toEqual(['rolling-back', ['remove', 'update']]);
  });

  it('V12: an action the state does not offer is 422 ActionNotAvailable (field action, message null); an unknown name is InvalidAction', async () => {
    const { path } = fresh(1);
    const r = await api('POST', `${path}/?action=finishupgrade`);
    expect(r.body).toMatchObject({ status: 422, code: 'ActionNotAvailable', fieldName: 'action', message: null });
    expect((await api('POST', `${path}/?action=explode`)).body.code).toBe('InvalidAction');
  });

  it('V13: upgrade validation (no strategy, no launchConfig, batchSize < 1, intervalMillis < 100, retainIp with startFirst) and the defaults 1 / 2000 / false', async () => {
    const { path } = fresh(1);
    const errs: [unknown, string, string][] = [
      [{}, 'MissingRequired', 'inServiceStrategy'],
      [{ inServiceStrategy: {} }, 'InvalidOption', 'inServiceStrategy'],
      [upgradeBody('x', { batchSize: 0 }), 'MinLimitExceeded', 'batchSize'],
      [upgradeBody('x', { intervalMillis: 99 }), 'MinLimitExceeded', 'intervalMillis'],
      [upgradeBody('x', { launchConfig: { imageUuid: 'docker:x', retainIp: true } }), 'InvalidOption', 'startFirst'],
    ];
    for (const [body, code, field] of errs) expect((await api('POST', `${path}/?action=upgrade`, body)).body).toMatchObject({ status: 422, code, fieldName: field });
    const ok = await api('POST', `${path}/?action=upgrade`, { inServiceStrategy: { launchConfig: { imageUuid: 'docker:acme/app:2' } } });
    expect(ok.body.upgrade.inServiceStrategy).toMatchObject({ batchSize: 1, intervalMillis: 2000, startFirst: false });
  });

  it('V14: upgrade answers 202 upgrading with the new launchConfig (new version) in place, the old as previousLaunchConfig, no merge', async () => {
    const { path } = fresh(1);
    const before = (await api('GET', path)).body.launchConfig;
    const r = await api('POST', `${path}/?action=upgrade`, upgradeBody('acme/app:2'));
    expect([r.status, r.body.state, r.body.transitioning]).toEqual([202, 'upgrading', 'yes']);
    expect(r.body.launchConfig.imageUuid).toBe('docker:acme/app:2');
    expect(r.body.launchConfig.version).toEqual(expect.any(String));
    expect(r.body.launchConfig.healthCheck).toBeUndefined(); // replaced, not merged
    expect(r.body.upgrade.inServiceStrategy.previousLaunchConfig).toEqual(before);
  });

  it('V15: batches of batchSize, intervalMillis apart and none after the last; start-first starts before it stops; old containers stopped, not removed; upgraded at the end', async () => {
    const { svc, path } = fresh(4);
    const oldIds = sim.running(svc).map((i) => i.id);
    await api('POST', `${path}/?action=upgrade`, upgradeBody('acme/app:2', { batchSize: 2, intervalMillis: 300 }));
    const done = await until(path, (s) => s.state === 'upgraded');
    expect(done.transitioning).toBe('no');
    const batches = sim.batches.filter((b) => b.service === 'web').slice(-2);
    expect(batches).toHaveLength(2);
    expect(batches[1]!.startedAt - batches[0]!.endedAt).toBeGreaterThanOrEqual(300);
    const instances = (await api('GET', `${path}/instances`)).body.data as Json[];
    expect(instances.filter((i) => oldIds.includes(i.id)).map((i) => i.state)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
    expect(instances.filter((i) => i.state === 'running')).toHaveLength(4);
  });

  it('V15: the health wait has no timeout: a never-healthy container keeps the service upgrading', async () => {
    const { path } = fresh(1);
    sim.faults.neverHealthy.add('docker:acme/app:sick');
    await api('POST', `${path}/?action=upgrade`, upgradeBody('acme/app:sick', { launchConfig: { imageUuid: 'docker:acme/app:sick', healthCheck: { port: 80 } } }));
    await new Promise((r) => setTimeout(r, 400));
    expect((await api('GET', path)).body).toMatchObject({ state: 'upgrading', transitioning: 'yes' });
  });

  it('V16: finishupgrade (only from upgraded) goes through finishing-upgrade to active and removes the stopped old containers', async () => {
    const { path } = fresh(2);
    await api('POST', `${path}/?action=upgrade`, upgradeBody('acme/app:2'));
    const upgraded = await until(path, (s) => s.state === 'upgraded');
    const r = await api('POST', upgraded.actions.finishupgrade);
    expect(r.body.state).toBe('finishing-upgrade');
    await until(path, (s) => s.state === 'active');
    expect(((await api('GET', `${path}/instances`)).body.data as Json[]).map((i) => i.state)).toEqual(['running', 'running']);
  });

  it('V17: rollback restores launchConfig at request time, then goes in batches intervalMillis apart, starting the same old containers again', async () => {
    const { svc, path } = fresh(2);
    const oldIds = sim.running(svc).map((i) => i.id);
    await api('POST', `${path}/?action=upgrade`, upgradeBody('acme/app:2', { intervalMillis: 400 }));
    await until(path, (s) => s.state === 'upgraded', 15_000);
    const r = await api('POST', `${path}/?action=rollback`);
    expect([r.body.state, r.body.launchConfig.imageUuid]).toEqual(['rolling-back', 'docker:acme/app:1']);
    await new Promise((res) => setTimeout(res, 150));
    expect((await api('GET', path)).body.state).toBe('rolling-back'); // the second batch waits intervalMillis
    expect(sim.running(svc).filter((i) => oldIds.includes(i.id))).toHaveLength(1);
    await until(path, (s) => s.state === 'active');
    expect(sim.running(svc).map((i) => i.id).sort()).toEqual([...oldIds].sort());
  });

  it('V18: healthy once the healthy count reaches scale (scale 0 is healthy); scale > 0 with nothing running is unhealthy; started-once', async () => {
    const { path, svc } = fresh(2);
    expect((await api('GET', path)).body.healthState).toBe('healthy');
    await api('PUT', path, { scale: 0 });
    expect((await until(path, (s) => s.currentScale === 0)).healthState).toBe('healthy');
    svc.scale = 1; // nothing running yet
    expect((await api('GET', path)).body.healthState).toBe('unhealthy');
    const once = sim.addService(sim.addStack('v18once'), 'migrate', 'acme/migrate:1', 1, { launchConfig: { imageUuid: 'docker:acme/migrate:1', labels: { 'io.rancher.container.start_once': 'true' } } });
    expect((await until(`/v2-beta/services/1s${once.id}`, (s) => s.healthState === 'started-once')).healthState).toBe('started-once');
    const noCheck = sim.addService(sim.addStack('v18none'), 'plain', 'acme/plain:1', 1, { launchConfig: { imageUuid: 'docker:acme/plain:1' } });
    expect((await api('GET', `/v2-beta/services/1s${noCheck.id}`)).body.healthState).toBe('healthy'); // no check counts as healthy
  });

  it('V19: a PUT applies updatable fields (others silently ignored), answers updating-active; from upgraded or canceled-upgrade it is 409; scale -1 is MinLimitExceeded', async () => {
    const { path } = fresh(1);
    const r = await api('PUT', path, { scale: 2, name: 'renamed', launchConfig: { imageUuid: 'docker:ignored' } });
    expect([r.status, r.body.state, r.body.transitioning, r.body.name, r.body.launchConfig.imageUuid]).toEqual([200, 'updating-active', 'yes', 'web', 'docker:acme/app:1']);
    await until(path, (s) => s.state === 'active');
    expect((await api('PUT', path, { scale: -1 })).body).toMatchObject({ status: 422, code: 'MinLimitExceeded' });
    await api('POST', `${path}/?action=upgrade`, upgradeBody('acme/app:2'));
    await until(path, (s) => s.state === 'upgraded');
    expect((await api('PUT', path, { scale: 3 })).body).toMatchObject({ status: 409, code: 'Conflict' });
    await api('POST', `${path}/?action=rollback`);
  });

  it('V20: a busy resource answers 409 Conflict (a switch), and the same request goes through once it is free', async () => {
    const { path } = fresh(1);
    sim.faults.conflicts = 1;
    expect((await api('PUT', path, { scale: 2 })).status).toBe(409);
    expect((await api('PUT', path, { scale: 2 })).status).toBe(200);
  });
});

describe('Rancher 1.6 simulator (test double): D. load balancers, certificates, pulls, scheduling', () => {
  it('V21: an LB needs lbConfig and launchConfig; a rule needs serviceId xor selector, a targetPort with serviceId, no source port 42; http by default; agent labels and a port-42 check; only launchConfig.ports are published', async () => {
    const { st, svc } = fresh(1);
    const lb = (rules: Json[], extra: Json = {}) => api('POST', '/v2-beta/loadbalancerservices', { name: `lb${++n}`, stackId: `1st${st.id}`, launchConfig: { imageUuid: `docker:${LB_INSTANCE_IMAGE}`, ports: ['8080:8080/tcp'] }, lbConfig: { portRules: rules }, ...extra });
    expect((await api('POST', '/v2-beta/loadbalancerservices', { name: 'nolb', stackId: `1st${st.id}`, launchConfig: {} })).body).toMatchObject({ code: 'MissingRequired', fieldName: 'lbConfig' });
    expect((await lb([{ sourcePort: 80, targetPort: 80 }])).body).toMatchObject({ code: 'MissingRequired', fieldName: 'serviceId' });
    expect((await lb([{ sourcePort: 80, targetPort: 80, serviceId: `1s${svc.id}`, selector: 'a=b' }])).body).toMatchObject({ code: 'InvalidOption' });
    expect((await lb([{ sourcePort: 80, serviceId: `1s${svc.id}` }])).body).toMatchObject({ code: 'MissingRequired', fieldName: 'targetPort' });
    expect((await lb([{ sourcePort: 42, targetPort: 80, serviceId: `1s${svc.id}` }])).body).toMatchObject({ code: 'InvalidOption', fieldName: 'sourcePort' });
    const made = await lb([{ sourcePort: 8080, targetPort: 80, serviceId: `1s${svc.id}` }, { sourcePort: 8443, targetPort: 80, serviceId: `1s${svc.id}` }], { startOnCreate: true });
    expect(made.body.lbConfig.portRules[0].protocol).toBe('http');
    expect(made.body.launchConfig.healthCheck.port).toBe(42);
    expect(made.body.launchConfig.labels['io.rancher.container.create_agent']).toBe('true');
    await until(made.body.links.self, (s) => s.state === 'active');
    expect(sim.reachablePorts(sim.services.find((s) => `1s${s.id}` === made.body.id)!)).toEqual([8080]); // 8443 not in launchConfig.ports
  });

  it('V22: a PUT replaces lbConfig whole, validates its rules (unknown service InvalidReference); a new source port is reachable only after an upgrade publishes it', async () => {
    const { st, svc } = fresh(1);
    const made = await api('POST', '/v2-beta/loadbalancerservices', { name: 'lb22', stackId: `1st${st.id}`, startOnCreate: true, launchConfig: { imageUuid: `docker:${LB_INSTANCE_IMAGE}`, ports: ['9000:9000/tcp'] }, lbConfig: { portRules: [{ sourcePort: 9000, targetPort: 9000, serviceId: `1s${svc.id}` }], certificateIds: ['1c1'] } });
    const self = made.body.links.self as string;
    await until(self, (s) => s.state === 'active');
    expect((await api('PUT', self, { lbConfig: { portRules: [{ sourcePort: 9000, targetPort: 9000, serviceId: '1s999999' }] } })).body).toMatchObject({ code: 'InvalidReference' });
    const rules = [{ sourcePort: 9000, targetPort: 9000, serviceId: `1s${svc.id}` }, { sourcePort: 9001, targetPort: 9000, protocol: 'https', serviceId: `1s${svc.id}` }];
    const put = await api('PUT', self, { lbConfig: { portRules: rules } });
    expect([put.body.state, put.body.lbConfig.certificateIds]).toEqual(['updating-active', undefined]); // replaced whole
    const lb = sim.services.find((s) => `1s${s.id}` === made.body.id)!;
    await until(self, (s) => s.state === 'active');
    expect(sim.reachablePorts(lb)).toEqual([9000]);
    await api('POST', `${self}/?action=upgrade`, { inServiceStrategy: { launchConfig: { ...made.body.launchConfig, ports: ['9000:9000/tcp', '9001:9001/tcp'] }, batchSize: 1, intervalMillis: 100 } });
    await until(self, (s) => s.state === 'upgraded');
    expect(sim.reachablePorts(lb)).toEqual([9000, 9001]);
  });

  it('V23: the default LB image is the server setting lb.instance.image', async () => {
    for (const v of ['v1', 'v2-beta']) expect((await api('GET', `/${v}/settings/lb.instance.image`)).body.value).toBe('rancher/lb-service-haproxy:v0.9.14');
  });

  it('V24: a certificate needs name, cert and key; the name is unique; a PUT of cert/key runs update; the key is never read back', async () => {
    expect((await api('POST', '/v2-beta/certificates', { name: 'c24', cert: 'C' })).body).toMatchObject({ code: 'MissingRequired', fieldName: 'key' });
    const made = await api('POST', '/v2-beta/certificates', { name: 'c24', cert: 'C', key: 'K' });
    expect([made.status, made.body.key]).toEqual([201, undefined]);
    expect((await api('POST', '/v2-beta/certificates', { name: 'c24', cert: 'C', key: 'K' })).body).toMatchObject({ code: 'NotUnique', fieldName: 'name' });
    expect((await api('PUT', made.body.links.self, { cert: 'C2', key: 'K2' })).body.state).toBe('updating-active');
    expect((await until(made.body.links.self, (c) => c.state === 'active')).cert).toBe('C2');
  });

  it('V25: a pull task starts transitioning with a status per host and ends transitioning no, even when a host failed', async () => {
    sim.faults.pullFails = new Set(['acme/missing:1']);
    const task = await api('POST', '/v2-beta/pulltasks', { mode: 'all', image: 'docker:acme/missing:1' });
    expect([task.status, task.body.transitioning, Object.keys(task.body.status)]).toEqual([201, 'yes', sim.hosts.map((h) => h.id)]);
    const done = await until(task.body.links.self, (t) => t.transitioning === 'no');
    expect(Object.values(done.status)[0]).toMatch(/^Error/);
  });

  it('V26: stack.links.services lists every service, LBs included; service.links.instances lists the stopped old containers during an upgrade', async () => {
    const { st, path } = fresh(1);
    sim.addService(st, 'lb', LB_INSTANCE_IMAGE, 1, { kind: 'loadBalancerService', lbConfig: { portRules: [] } });
    const stack = (await api('GET', `/v2-beta/stacks/1st${st.id}`)).body;
    expect(((await api('GET', stack.links.services)).body.data as Json[]).map((s) => s.type).sort()).toEqual(['loadBalancerService', 'service']);
    await api('POST', `${path}/?action=upgrade`, upgradeBody('acme/app:2'));
    await until(path, (s) => s.state === 'upgraded');
    expect(((await api('GET', `${path}/instances`)).body.data as Json[]).map((i) => i.state).sort()).toEqual(['running', 'stopped']);
  });

  it('V27: a container whose host port is taken on every host stays unallocated, so a start-first upgrade with a published port and no spare host stays upgrading; stop-first goes through', async () => {
    const ports = { imageUuid: 'docker:acme/p:1', ports: ['7000:7000/tcp'] };
    const a = sim.addService(sim.addStack('v27'), 'web', 'acme/p:1', 3, { launchConfig: ports });
    expect(new Set(sim.running(a).map((i) => i.hostId)).size).toBe(3); // one per host
    const path = `/v2-beta/services/1s${a.id}`;
    await api('POST', `${path}/?action=upgrade`, { inServiceStrategy: { startFirst: true, intervalMillis: 100, launchConfig: { ...ports, imageUuid: 'docker:acme/p:2' } } });
    await new Promise((r) => setTimeout(r, 300));
    const stuck = (await api('GET', path)).body;
    expect([stuck.state, stuck.transitioningMessage]).toEqual(['upgrading', expect.stringContaining('No healthy hosts meet the resource constraints: ports')]);
    await api('POST', `${path}/?action=rollback`);
    await until(path, (s) => s.state === 'active');
    await api('POST', `${path}/?action=upgrade`, { inServiceStrategy: { startFirst: false, intervalMillis: 100, launchConfig: { ...ports, imageUuid: 'docker:acme/p:2' } } });
    expect((await until(path, (s) => s.state === 'upgraded')).healthState).toBe('healthy');
  });
});

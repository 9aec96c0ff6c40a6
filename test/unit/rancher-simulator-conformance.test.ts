/**
 * The Rancher 1.6 simulator (a TEST DOUBLE) checked against what a real server does, one test
 * per vector of shared/reference/rancher-1.6-conformance.md, each naming it: keys, versions, lookups and stacks (V1 to V10).
 * The tests talk HTTP to the simulator as any client would; none goes through rancher-deploy's
 * client, so the double cannot drift towards what the client expects.
 */
import { describe, expect, it } from 'vitest';
import { ACCOUNT, api, basic, ENV, fresh, sim, until, useSimulator, type Json } from '../support/rancher-simulator/http';

useSimulator();

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


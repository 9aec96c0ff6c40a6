/**
 * The Rancher 1.6 simulator (a TEST DOUBLE) checked against what a real server does, one test
 * per vector of shared/reference/rancher-1.6-conformance.md, each naming it: services, health, load balancers, certificates, pulls and hosts (V11 to V27).
 * The tests talk HTTP to the simulator as any client would; none goes through rancher-deploy's
 * client, so the double cannot drift towards what the client expects.
 */
import { describe, expect, it } from 'vitest';
import { LB_INSTANCE_IMAGE, SERVICE_ACTIONS } from '../support/rancher-simulator';
import { api, fresh, sim, unique, until, upgradeBody, useSimulator, type Json } from '../support/rancher-simulator/http';

useSimulator();

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
    const batches = sim.batches.filter((b) => b.serviceId === `1s${svc.id}`);
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
    await until(path, (s) => s.state === 'active');
    expect(sim.running(svc).map((i) => i.id).sort()).toEqual([...oldIds].sort());
    const [first, second] = svc.instances.filter((i) => oldIds.includes(i.id)).map((i) => i.startedAt!).sort((a, b) => a - b);
    expect(second! - first!).toBeGreaterThanOrEqual(400); // one batch, then intervalMillis, then the next
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
    const lb = (rules: Json[], extra: Json = {}) => api('POST', '/v2-beta/loadbalancerservices', { name: `lb${unique()}`, stackId: `1st${st.id}`, launchConfig: { imageUuid: `docker:${LB_INSTANCE_IMAGE}`, ports: ['8080:8080/tcp'] }, lbConfig: { portRules: rules }, ...extra });
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

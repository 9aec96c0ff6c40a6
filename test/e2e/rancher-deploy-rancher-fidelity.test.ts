/**
 * rancher-deploy against a server that behaves as Rancher 1.6 does (the simulator, a TEST
 * DOUBLE built from shared/reference/rancher-1.6-conformance.md): each test a way a real server
 * would break a deploy that a lenient double lets through, with its vector.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../scripts/harness';
import { rancherBed } from '../support/rancher-simulator/bed';
import { until } from '../support/until';

const V1 = 'registry.example.com/acme/auth-service:1.0.0';
const V2 = 'registry.example.com/acme/auth-service:1.1.0';
const CERT = `-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUdrovertestcert\n-----END CERTIFICATE-----\n`;
const KEY = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDfidelitykey\n-----END PRIVATE KEY-----\n`;

const bed = rancherBed((sim) => (sim.healthyAfterMs = 100));
const job = bed.job;

function deploy(inputs: Record<string, string>): Promise<StepResult> {
  return job.run('rancher-deploy', { with: { target: 'rancher', stack: 'auth', 'rancher-url': bed.sim.url, 'rancher-access-key': 'ENVKEY5', 'rancher-secret-key': bed.sim.keys[0]!.secret, 'request-timeout': '5', 'batch-interval': '0.1', ...inputs } });
}
const log = (s: StepResult) => `${s.stdout}\n${s.stderr}`;
const bg = { strategy: 'blue-green', 'lb-service': 'auth-lb/lb', services: 'auth-service' };

/** A server that counts what reaches it: where a key must never go. */
async function elsewhere(): Promise<{ url: string; hits: { auth?: string; body: string }[]; close: () => void }> {
  const hits: { auth?: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ auth: req.headers.authorization, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => server.close() };
}

describe('rancher-deploy on Rancher 1.6 as it behaves (simulator, a test double): lookups and stacks', () => {
  it('V3: on /v1 a rolling deploy upgrades its own stack\'s service, not the same name in another stack', async () => {
    const other = bed.sim.addStack('billing');
    const otherSvc = bed.sim.addService(other, 'auth-service', V1, 1);
    const mine = bed.sim.addService(bed.sim.addStack('auth'), 'auth-service', V1, 1);
    const step = await deploy({ 'rancher-url': `${bed.sim.url}/v1`, services: 'auth-service', image: V2 });
    expect(step.exitCode, log(step)).toBe(0);
    expect([bed.sim.imageOf(mine), bed.sim.imageOf(otherSvc), otherSvc.state]).toEqual([V2, V1, 'active']);
  });

  it("V9, V10, V23: the example's own compose files create a healthy stack: translated, waited for until active, the LB on the server's lb.instance.image and publishing 9000", async () => {
    bed.sim.settings['lb.instance.image'] = 'rancher/lb-service-haproxy:v0.9.99';
    const step = await deploy({ services: 'auth-service', image: V2 });
    expect(step.exitCode, log(step)).toBe(0);
    const st = bed.sim.stackByName('auth')!;
    expect([st.state, st.transitioning]).toEqual(['active', 'no']);
    const lb = bed.sim.service('auth-lb', 'auth')!;
    expect(bed.sim.imageOf(lb)).toBe('rancher/lb-service-haproxy:v0.9.99');
    expect(bed.sim.reachablePorts(lb)).toEqual([9000]);
    expect(bed.sim.running(bed.sim.service('auth-service', 'auth')!).map((i) => i.imageUuid)).toEqual([`docker:${V2}`, `docker:${V2}`]);
    expect(log(step)).toContain('auth-service: ports 9000:9000 kept inside the stack (expose); the load balancer auth-lb publishes them');
  });

  it('V10: a compose file Rancher would refuse is refused before any request, naming the file, the key and the reason', async () => {
    fs.writeFileSync(path.join(job.workspace, 'swarmish.yml'), 'services:\n  auth-service:\n    image: x\n    deploy:\n      replicas: 2\n');
    job.chown(job.workspace);
    const step = await deploy({ services: 'auth-service', image: V2, 'compose-file': 'swarmish.yml' });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(/^Input 'compose-file' is invalid: ".*swarmish\.yml"; expected a file Rancher 1\.6 accepts: services\.auth-service\.deploy cannot go to Rancher \(swarm's deploy settings/);
    expect(bed.sim.requests).toHaveLength(0);
  });

  it('V9: a stack that never becomes active fails the deploy at the timeout instead of passing', async () => {
    bed.sim.executorMs = 600_000;
    const step = await deploy({ services: 'auth-service', image: V2, 'health-timeout': '2' });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toBe('The stack auth did not become active in time');
  });

  it("V9: the executor's error is the step's error", async () => {
    fs.writeFileSync(path.join(job.workspace, 'bad-rancher.yml'), 'version: "2"\nservices:\n  auth-lb:\n    lb_config:\n      port_rules:\n        - source_port: 80\n          target_port: 9000\n          service: nope\n');
    job.chown(job.workspace);
    const step = await deploy({ services: 'auth-service', image: V2, 'rancher-compose-file': 'bad-rancher.yml' });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toContain('Rancher could not create the stack auth: ');
    expect(step.errors[0]).toContain('Failed to find service nope for the load balancer auth-lb');
  });

  it('V18: a start-once service counts as healthy once it has run', async () => {
    fs.writeFileSync(path.join(job.workspace, 'once.yml'), 'services:\n  migrate:\n    image: acme/migrate:1\n    labels:\n      io.rancher.container.start_once: "true"\n  auth-service:\n    image: x\n');
    job.chown(job.workspace);
    const step = await deploy({ services: 'auth-service', image: V2, 'compose-file': 'once.yml', 'rancher-compose-file': 'none.yml', 'health-timeout': '20' });
    expect(step.exitCode, log(step)).toBe(0);
  });
});

describe('rancher-deploy on Rancher 1.6 as it behaves (simulator, a test double): conflicts, lost answers, states in passing', () => {
  it('V20: 409 Conflict is retried with backoff, and the deploy goes through', async () => {
    bed.sim.addService(bed.sim.addStack('auth'), 'auth-service', V1, 1);
    bed.sim.faults.conflicts = 2;
    const step = await deploy({ services: 'auth-service', image: V2 });
    expect(step.exitCode, log(step)).toBe(0);
    expect(bed.sim.faults.conflicts).toBe(0);
  });

  it('an upgrade whose answer was lost is read back, not sent again (which Rancher answers 422 and the deploy would roll back)', async () => {
    const svc = bed.sim.addService(bed.sim.addStack('auth'), 'auth-service', V1, 1);
    bed.sim.faults.loseAnswers = 1;
    const step = await deploy({ services: 'auth-service', image: V2, pull: 'false' }); // the upgrade is the first write
    expect(step.exitCode, log(step)).toBe(0);
    expect([svc.state, bed.sim.imageOf(svc)]).toEqual(['active', V2]);
    expect(bed.sim.requests.filter((r) => r.path.includes('action=upgrade'))).toHaveLength(1);
  });

  it('a stack create whose answer was lost is found by its name', async () => {
    bed.sim.faults.loseAnswers = 1;
    const step = await deploy({ services: 'auth-service', image: V2 });
    expect(step.exitCode, log(step)).toBe(0);
    expect(bed.sim.stacks.filter((s) => s.name === 'auth')).toHaveLength(1);
  });

  it('V11: a service found rolling-back is waited out, then upgraded', async () => {
    const svc = bed.sim.addService(bed.sim.addStack('auth'), 'auth-service', V1, 2);
    const base = `${bed.sim.url}/v2-beta/projects/1a5/services/1s${svc.id}`;
    const auth = { authorization: `Basic ${Buffer.from(`ENVKEY5:${bed.sim.keys[0]!.secret}`).toString('base64')}`, 'content-type': 'application/json' };
    await fetch(`${base}/?action=upgrade`, { method: 'POST', headers: auth, body: JSON.stringify({ inServiceStrategy: { intervalMillis: 1500, launchConfig: { imageUuid: 'docker:acme/other:1' } } }) });
    await until('the upgrade', () => (svc.state === 'upgraded' ? true : undefined), 20_000, 20);
    await fetch(`${base}/?action=rollback`, { method: 'POST', headers: auth });
    expect(svc.state).toBe('rolling-back');
    const step = await deploy({ services: 'auth-service', image: V2 });
    expect(step.exitCode, log(step)).toBe(0);
    expect(bed.sim.imageOf(svc)).toBe(V2);
  });

  it('V19: blue-green settles a standby left upgraded before scaling it (a scale of an upgraded service is 409)', async () => {
    expect((await deploy({ ...bg, image: V1 })).exitCode).toBe(0);
    expect((await deploy({ ...bg, image: V2, 'scale-down-after': '0' })).exitCode).toBe(0);
    const blue = bed.sim.service('auth-service', 'auth-blue')!;
    blue.state = 'upgraded'; // an earlier run stopped between its upgrade and finishupgrade
    blue.upgrade = { inServiceStrategy: { batchSize: 1, intervalMillis: 100, startFirst: false, previousLaunchConfig: blue.launchConfig } };
    const step = await deploy({ ...bg, image: V1 });
    expect(step.exitCode, log(step)).toBe(0);
    expect([blue.scale, bed.sim.imageOf(blue), step.outputs['active-stack']]).toEqual([2, V1, 'auth-blue']);
  });
});

describe('rancher-deploy on Rancher 1.6 as it behaves (simulator, a test double): load balancers', () => {
  it('V21, V22: after a deploy with a certificate, the TLS port is published on the load balancer, not only a rule', async () => {
    expect((await deploy({ ...bg, image: V1 })).exitCode).toBe(0);
    const step = await deploy({ ...bg, image: V2, certificate: CERT, 'certificate-key': KEY });
    expect(step.exitCode, log(step)).toBe(0);
    const lb = bed.sim.service('lb', 'auth-lb')!;
    expect(bed.sim.reachablePorts(lb)).toEqual([9000, 9001]);
    expect(lb.state).toBe('active');
  });

  it("a shared load balancer keeps its other teams' rules where they point", async () => {
    expect((await deploy({ ...bg, image: V1 })).exitCode).toBe(0);
    const billing = bed.sim.addService(bed.sim.addStack('billing'), 'billing', 'acme/billing:1', 1);
    const lb = bed.sim.service('lb', 'auth-lb')!;
    lb.lbConfig = { portRules: [...(lb.lbConfig!.portRules as object[]), { sourcePort: 8000, targetPort: 80, protocol: 'http', serviceId: `1s${billing.id}` }] };
    const step = await deploy({ ...bg, image: V2 });
    expect(step.exitCode, log(step)).toBe(0);
    const green = bed.sim.service('auth-service', 'auth-green')!;
    expect((lb.lbConfig!.portRules as { serviceId: string }[]).map((r) => r.serviceId)).toEqual([`1s${green.id}`, `1s${billing.id}`]);
  });
});

describe('rancher-deploy on Rancher 1.6 as it behaves (simulator, a test double): the key goes only where it was sent', () => {
  it("links on another origin are re-based onto the configured one: nothing reaches the other server", async () => {
    const other = await elsewhere();
    try {
      bed.sim.addService(bed.sim.addStack('auth'), 'auth-service', V1, 1);
      bed.sim.faults.linkOrigin = other.url;
      const step = await deploy({ services: 'auth-service', image: V2 });
      expect(step.exitCode, log(step)).toBe(0);
      expect(other.hits).toHaveLength(0);
    } finally {
      other.close();
    }
  });

  it('a redirect is an error, never followed with the key or what the request carries', async () => {
    const other = await elsewhere();
    try {
      bed.sim.faults.redirect = { prefix: '/v2-beta/projects/1a5/stacks', to: `${other.url}/steal` };
      const step = await deploy({ services: 'auth-service', image: V2, variables: 'db_password=not-for-elsewhere' });
      expect(step.exitCode).toBe(1);
      expect(step.errors[0]).toContain('GET /v2-beta/projects/1a5/stacks');
      expect(other.hits).toHaveLength(0);
    } finally {
      other.close();
    }
  });

  it('plain http to another machine is refused before any request', async () => {
    const step = await deploy({ services: 'auth-service', image: V2, 'rancher-url': 'http://rancher.example.com' });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(/^Input 'rancher-url' is invalid: "http:\/\/rancher\.example\.com"; expected an https:\/\/ URL/);
  });

  it('pages whose next repeats are stopped, not followed for ever', async () => {
    bed.sim.faults.loopPages = true;
    const step = await deploy({ services: 'auth-service', image: V2 });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toContain("the server's pages repeat; stopped");
    expect(bed.sim.requests.length).toBeLessThan(5);
  });

  it("a server's values are escaped in the log: a project id cannot start a workflow command", async () => {
    bed.sim.projects.push({ id: '1a9\r::warning::injected', name: 'Hostile' });
    const step = await deploy({ services: 'auth-service', image: V2, 'rancher-access-key': 'ACCOUNTKEY', 'rancher-secret-key': bed.sim.keys[1]!.secret, 'rancher-environment': 'Hostile' });
    expect(step.errors[0]).toBe('Rancher environment Hostile has an id that is not one: 1a9\\x0d::warning::injected'); // escaped, and no path made of it
    expect(step.stdout.split(/\r|\n/).some((l) => l.startsWith('::warning::injected'))).toBe(false);
  });
});

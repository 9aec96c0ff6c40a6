/**
 * rancher-deploy with target rancher, run as the runner runs the bundle, against the Rancher 1.x
 * contract simulator (TEST DOUBLE: test/support/rancher-simulator.ts; Rancher 1.x cannot run here).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { visibleText } from '../support/secrets';
import type { StepResult } from '../../scripts/harness';
import { RancherSimulator } from '../support/rancher-simulator';
import { rancherBed } from '../support/rancher-simulator/bed';
import { until } from '../support/until';

const V1 = 'registry.example.com/acme/auth-service:1.0.0';
const V2 = 'registry.example.com/acme/auth-service:1.1.0';
const V3 = 'registry.example.com/acme/auth-service:1.2.0';
const BAD = 'registry.example.com/acme/auth-service:broken';

const bed = rancherBed();
const job = bed.job;
const steps: StepResult[] = [];

const ENV_KEY = () => ({ 'rancher-url': bed.sim.url, 'rancher-access-key': 'ENVKEY5', 'rancher-secret-key': bed.sim.keys[0]!.secret });

async function deploy(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<StepResult> {
  const step = await job.run('rancher-deploy', { with: { target: 'rancher', stack: 'auth', ...ENV_KEY(), 'request-timeout': '5', ...inputs }, env });
  steps.push(step);
  return step;
}

function lines(step: StepResult): string {
  return `${step.stdout}\n${step.stderr}`;
}

describe('rancher-deploy on the Rancher 1.x simulator (test double): rolling upgrade', () => {
  it('scale 4, batch 2, interval 2 s: two batches at least 2 s apart, then active on the new image', async () => {
    const st = bed.sim.addStack('auth');
    bed.sim.addService(st, 'auth-service', V1, 4);
    const step = await deploy({ services: 'auth-service', image: V2, 'batch-size': '2', 'batch-interval': '2', 'start-first': 'true' });
    expect(step.exitCode, lines(step)).toBe(0);
    const batches = bed.sim.batches.filter((b) => b.service === 'auth-service');
    expect(batches.map((b) => b.batch)).toEqual([1, 2]);
    expect(batches[1]!.startedAt - batches[0]!.endedAt).toBeGreaterThanOrEqual(2000);
    const svc = bed.sim.service('auth-service')!;
    expect([svc.state, bed.sim.imageOf(svc), bed.sim.running(svc).length]).toEqual(['active', V2, 4]);
    expect(bed.sim.running(svc).every((i) => i.imageUuid === `docker:${V2}`)).toBe(true);
    expect(step.outputs).toMatchObject({ 'previous-image': V1, image: V2, state: 'active' });
    const upgrade = bed.sim.requests.find((r) => r.path.endsWith('action=upgrade'))!;
    expect(upgrade.body).toMatchObject({ inServiceStrategy: { batchSize: 2, intervalMillis: 2000, startFirst: true, launchConfig: { imageUuid: `docker:${V2}` } } });
    expect(bed.sim.requests.some((r) => r.path.endsWith('action=finishupgrade'))).toBe(true);
    const pull = bed.sim.requests.findIndex((r) => r.method === 'POST' && r.path.endsWith('/pulltasks'));
    expect(bed.sim.requests[pull]!.body).toEqual({ mode: 'all', image: `docker:${V2}` }); // pull: true, before the upgrade
    expect(pull).toBeLessThan(bed.sim.requests.indexOf(upgrade));
    expect(step.summary).toContain('2 of 4 new containers healthy');
    expect(step.summary).toContain('4 of 4 new containers healthy');
  });

  it('takes batch size and start-first from rancher-compose.yml when the inputs leave them out', async () => {
    const st = bed.sim.addStack('auth');
    bed.sim.addService(st, 'auth-service', V1, 2);
    const step = await deploy({ services: 'auth-service', image: V2, 'batch-interval': '0.1' });
    expect(step.exitCode, lines(step)).toBe(0);
    // examples/auth-service/rancher-compose.yml: upgrade_strategy.start_first true; no batch size (Rancher's default 1)
    expect(bed.sim.requests.find((r) => r.path.endsWith('action=upgrade'))!.body).toMatchObject({ inServiceStrategy: { batchSize: 1, intervalMillis: 100, startFirst: true } });
  });

  it('health never green: rolled back, active on the old image, and the step names the timeout', async () => {
    const st = bed.sim.addStack('auth');
    bed.sim.addService(st, 'auth-service', V1, 2);
    bed.sim.faults.neverHealthy.add(`docker:${BAD}`);
    const step = await deploy({ services: 'auth-service', image: BAD, timeout: '3', 'batch-interval': '0.1' });
    expect(step.exitCode).toBe(1);
    expect(step.errors.join('\n')).toMatch(/Service auth-service: not healthy within the timeout of 3 s \(state upgrading, health \w+, 0 of 2 new containers healthy\), after waiting 3 s; rolled back, the stack auth runs .*1\.0\.0 again/);
    const svc = bed.sim.service('auth-service')!;
    await until('the rollback to settle on the old image', () => (svc.state === 'active' && bed.sim.imageOf(svc) === V1 ? true : undefined), 10_000, 20);
    expect([svc.state, bed.sim.imageOf(svc)]).toEqual(['active', V1]);
    expect(bed.sim.running(svc).map((i) => i.imageUuid)).toEqual([`docker:${V1}`, `docker:${V1}`]);
    expect(bed.sim.requests.filter((r) => r.path.endsWith('action=rollback'))).toHaveLength(1);
    expect(bed.sim.requests.some((r) => r.path.endsWith('action=finishupgrade'))).toBe(false);
  });

  it('a service left upgraded is finished first with leftovers: finish, rolled back first by default', async () => {
    const st = bed.sim.addStack('auth');
    bed.sim.addService(st, 'auth-service', V1, 2);
    const staged = await deploy({ services: 'auth-service', image: V2, confirm: 'false', 'batch-interval': '0.1' });
    expect(staged.exitCode, lines(staged)).toBe(0);
    expect(staged.outputs.state).toBe('upgraded');
    expect(bed.sim.service('auth-service')!.state).toBe('upgraded');

    const finished = await deploy({ services: 'auth-service', image: V3, leftovers: 'finish', 'batch-interval': '0.1' });
    expect(finished.exitCode, lines(finished)).toBe(0);
    const actions = bed.sim.requests.filter((r) => r.path.includes('action=')).map((r) => /action=(\w+)/.exec(r.path)![1]);
    expect(actions).toEqual(['upgrade', 'finishupgrade', 'upgrade', 'finishupgrade']);
    expect(finished.outputs['previous-image']).toBe(V2);
    expect(finished.stdout).toContain(`auth-service was left upgraded by an earlier run (leftovers: finish): finished; it runs ${V2}`);

    bed.sim.requests.length = 0;
    await deploy({ services: 'auth-service', image: V1, confirm: 'false', 'batch-interval': '0.1' });
    const safe = await deploy({ services: 'auth-service', image: V2, 'batch-interval': '0.1' });
    expect(safe.exitCode, lines(safe)).toBe(0);
    expect(bed.sim.requests.filter((r) => r.path.includes('action=')).map((r) => /action=(\w+)/.exec(r.path)![1])).toEqual(['upgrade', 'rollback', 'upgrade', 'finishupgrade']);
    expect(safe.outputs['previous-image']).toBe(V3); // rolled back to the confirmed image, then upgraded
  });

  it('staged: deploy with confirm false, then action confirm; or action rollback back to the old containers', async () => {
    const st = bed.sim.addStack('auth');
    const svc = bed.sim.addService(st, 'auth-service', V1, 2);
    const oldIds = bed.sim.running(svc).map((i) => i.id);
    await deploy({ services: 'auth-service', image: V2, confirm: 'false', 'batch-interval': '0.1' });
    const back = await deploy({ action: 'rollback', services: 'auth-service' });
    expect(back.exitCode, lines(back)).toBe(0);
    expect(back.outputs).toMatchObject({ 'previous-image': V2, image: V1, state: 'rolled-back' });
    expect(bed.sim.running(svc).map((i) => i.id)).toEqual(oldIds); // the same containers start again

    await deploy({ services: 'auth-service', image: V2, confirm: 'false', 'batch-interval': '0.1' });
    const confirmed = await deploy({ action: 'confirm', services: 'auth-service' });
    expect(confirmed.exitCode, lines(confirmed)).toBe(0);
    expect([svc.state, bed.sim.imageOf(svc), confirmed.outputs.state]).toEqual(['active', V2, 'active']);

    const late = await deploy({ action: 'rollback', services: 'auth-service' });
    expect(late.exitCode).toBe(1);
    expect(late.errors[0]).toContain('Service auth-service is active: its upgrade was confirmed');
  });

  it('creates the stack from the compose files when it is missing, variables as the stack environment', async () => {
    const step = await deploy({ services: 'auth-service', image: V2, variables: 'auth_version=1.1.0' });
    expect(step.exitCode, lines(step)).toBe(0);
    const create = bed.sim.requests.find((r) => r.method === 'POST' && /\/stacks$/.test(r.path))!;
    expect(create.body).toMatchObject({ name: 'auth', environment: { auth_version: '1.1.0' }, startOnCreate: true });
    expect(String(create.body!.dockerCompose)).toContain(`image: ${V2}`);
    const svc = bed.sim.service('auth-service', 'auth')!;
    expect([svc.state, svc.scale, bed.sim.running(svc).length]).toEqual(['active', 2, 2]); // scale 2 from rancher-compose.yml
    expect(svc.launchConfig.healthCheck).toMatchObject({ port: 9000, requestLine: 'GET /health HTTP/1.0' });
    expect(bed.sim.service('auth-lb', 'auth')!.kind).toBe('loadBalancerService');
  });
});

describe('rancher-deploy on the Rancher 1.x simulator (test double): cancelled', () => {
  it('SIGINT mid-upgrade, then post: the service is rolled back to the old containers, not left upgrading', async () => {
    const st = bed.sim.addStack('auth');
    const svc = bed.sim.addService(st, 'auth-service', V1, 2);
    const oldIds = bed.sim.running(svc).map((i) => i.id);
    bed.sim.faults.neverHealthy.add(`docker:${BAD}`);
    const inputs = { target: 'rancher', stack: 'auth', ...ENV_KEY(), services: 'auth-service', image: BAD, 'health-timeout': '60' };
    const main = await job.run('rancher-deploy', { with: inputs, signalAfterMs: ['SIGINT', 2_500] });
    steps.push(main);
    expect(main.exitCode).not.toBe(0);
    expect(svc.state).toBe('upgrading');
    const post = await job.post('rancher-deploy', main, { with: inputs });
    steps.push(post!);
    expect(post!.exitCode, lines(post!)).toBe(0);
    expect(post!.stdout).toContain('auth-service was left upgrading by a deploy that did not finish: rolling back');
    expect([svc.state, bed.sim.imageOf(svc)]).toEqual(['active', V1]);
    expect(bed.sim.running(svc).map((i) => i.id)).toEqual(oldIds);
  });
});

describe('rancher-deploy on the Rancher 1.x simulator (test double): API versions, keys, faults', () => {
  it('finds a stack whose name differs only in case in one lookup (V4: Rancher compares names case-insensitively)', async () => {
    const st = bed.sim.addStack('Auth');
    bed.sim.addService(st, 'auth-service', V1, 1);
    const step = await deploy({ services: 'auth-service', image: V2, 'batch-interval': '0.1' });
    expect(step.exitCode, lines(step)).toBe(0);
    // looked up once; the id is kept for the rest of the run
    expect(bed.sim.requests.filter((r) => r.path.startsWith('/v2-beta/projects/1a5/stacks?')).map((r) => r.path)).toEqual(['/v2-beta/projects/1a5/stacks?name=auth&removed_null=&limit=1000']);
    expect(bed.sim.imageOf(bed.sim.service('auth-service')!)).toBe(V2);
  });

  it('v1 paths with an account key and the environment by name (the RANCHER_* variables as fallbacks)', async () => {
    const st = bed.sim.addStack('auth');
    bed.sim.addService(st, 'auth-service', V1, 1);
    const step = await job.run('rancher-deploy', {
      with: { target: 'rancher', stack: 'auth', services: 'auth-service', image: V2, 'batch-interval': '0.1' },
      env: { RANCHER_URL: `${bed.sim.url}/v1`, RANCHER_ACCESS_KEY: 'ACCOUNTKEY', RANCHER_SECRET_KEY: bed.sim.keys[1]!.secret, RANCHER_ENVIRONMENT: 'default' },
    });
    steps.push(step);
    expect(step.exitCode, lines(step)).toBe(0);
    expect(step.masks).toContain(bed.sim.keys[1]!.secret);
    const paths = bed.sim.requests.map((r) => r.path);
    expect(paths.every((p) => p.startsWith('/v1/'))).toBe(true);
    expect(paths).toContain('/v1/projects?limit=1000');
    expect(paths.some((p) => p.startsWith('/v1/projects/1a5/environments?name=auth'))).toBe(true);
    expect(bed.sim.requests.every((r) => r.auth === `Basic ${Buffer.from(`ACCOUNTKEY:${bed.sim.keys[1]!.secret}`).toString('base64')}`)).toBe(true);
    expect(bed.sim.imageOf(bed.sim.service('auth-service')!)).toBe(V2);
  });

  it('an account key that sees two environments needs the input environment', async () => {
    const step = await deploy({ services: 'auth-service', image: V2, 'rancher-access-key': 'ACCOUNTKEY', 'rancher-secret-key': bed.sim.keys[1]!.secret });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toBe('The key sees 2 environments (Default, Production): set the input rancher-environment');
  });

  it('5xx answers are retried; a 422 ActionNotAvailable is not, and its body becomes the message', async () => {
    const st = bed.sim.addStack('auth');
    bed.sim.addService(st, 'auth-service', V1, 1);
    bed.sim.faults.fail5xx = 2;
    const ok = await deploy({ services: 'auth-service', image: V2, 'batch-interval': '0.1' });
    expect(ok.exitCode, lines(ok)).toBe(0);
    expect(ok.stdout).toMatch(/failed \(attempt 1 of 4\): GET .* HTTP 503 ServiceUnavailable: simulated 503; retrying/);

    bed.sim.requests.length = 0;
    bed.sim.faults.actionNotAvailable.add('upgrade');
    const refused = await deploy({ services: 'auth-service', image: V3 });
    expect(refused.exitCode).toBe(1);
    expect(refused.errors[0]).toMatch(/^Service auth-service: POST \/v2-beta\/projects\/1a5\/services\/1s\d+\/\?action=upgrade: HTTP 422 ActionNotAvailable \(field action\), after waiting 0 s/);
    expect(bed.sim.requests.filter((r) => r.path.endsWith('action=upgrade'))).toHaveLength(1);
  });

  it('a slow server: every request has a timeout, and the step fails once the retries are spent', async () => {
    bed.sim.faults.slowMs = 3_000;
    const step = await deploy({ services: 'auth-service', image: V2, 'request-timeout': '1', retries: '1' });
    expect(step.exitCode).toBe(1);
    expect(step.stdout).toMatch(/Rancher GET \/v2-beta\/projects\?limit=1000 failed \(attempt 1 of 2\): .*(timeout|aborted)/i);
    expect(bed.sim.requests).toHaveLength(2);
  });

  it('a wrong secret key: 401, said once, not retried', async () => {
    const step = await deploy({ services: 'auth-service', image: V2, 'rancher-secret-key': 'wrong-secret' });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toContain('GET /v2-beta/projects?limit=1000: HTTP 401 Unauthorized: Unauthorized (check the access key and secret key)');
    expect(bed.sim.requests).toHaveLength(1);
  });
});

const KEY_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDdrovertestkey';
const CERT = `-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUdrovertestcert\n-----END CERTIFICATE-----\n`;
const KEY = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;

describe('rancher-deploy on the Rancher 1.x simulator (test double): blue-green', () => {
  const bg = { strategy: 'blue-green', 'lb-service': 'auth-lb/lb', services: 'auth-service' };

  it('first deploy to blue with the load balancer created; the next goes to green and changes only the LB targets; rollback restores them', async () => {
    const first = await deploy({ ...bg, image: V1 });
    expect(first.exitCode, lines(first)).toBe(0);
    expect(first.outputs).toMatchObject({ 'active-stack': 'auth-blue', 'standby-stack': '', image: V1 });
    const lb = bed.sim.service('lb', 'auth-lb')!;
    const blueSvc = bed.sim.service('auth-service', 'auth-blue')!;
    expect(lb.lbConfig).toEqual({ portRules: [{ sourcePort: 9000, targetPort: 9000, protocol: 'http', serviceId: `1s${blueSvc.id}` }] });
    expect(bed.sim.service('auth-lb', 'auth-blue')).toBeUndefined(); // the colour stacks leave the LB out

    bed.sim.requests.length = 0;
    const second = await deploy({ ...bg, image: V2 });
    expect(second.exitCode, lines(second)).toBe(0);
    const greenSvc = bed.sim.service('auth-service', 'auth-green')!;
    expect(second.outputs).toMatchObject({ 'active-stack': 'auth-green', 'standby-stack': 'auth-blue', 'previous-image': V1, image: V2 });
    const puts = bed.sim.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(1); // one update switches it
    expect(puts[0]!.path).toContain(`/loadbalancerservices/1s${lb.id}`);
    expect(puts[0]!.body).toEqual({ lbConfig: { portRules: [{ sourcePort: 9000, targetPort: 9000, protocol: 'http', serviceId: `1s${greenSvc.id}` }] } });
    expect([bed.sim.imageOf(blueSvc), bed.sim.running(blueSvc).length]).toEqual([V1, 2]); // the old stack stays for an instant rollback

    const back = await deploy({ ...bg, action: 'rollback' });
    expect(back.exitCode, lines(back)).toBe(0);
    expect(back.outputs).toMatchObject({ 'active-stack': 'auth-blue', 'standby-stack': 'auth-green', image: V1, 'previous-image': V2, state: 'rolled-back' });
    expect((lb.lbConfig!.portRules as { serviceId: string }[])[0]!.serviceId).toBe(`1s${blueSvc.id}`);
  });

  it('scale-down-after parks the old stack at 0; rollback brings it back to scale, then switches', async () => {
    await deploy({ ...bg, image: V1 });
    const step = await deploy({ ...bg, image: V2, 'scale-down-after': '0' });
    expect(step.exitCode, lines(step)).toBe(0);
    const blue = bed.sim.service('auth-service', 'auth-blue')!;
    expect([blue.scale, bed.sim.running(blue).length]).toEqual([0, 0]);
    expect(step.summary).toContain('auth-blue scaled to 0');
    const back = await deploy({ ...bg, action: 'rollback' });
    expect(back.exitCode, lines(back)).toBe(0);
    expect([blue.scale, bed.sim.running(blue).length]).toEqual([2, 2]); // rancher-compose.yml's scale
    expect((bed.sim.service('lb', 'auth-lb')!.lbConfig!.portRules as { serviceId: string }[])[0]!.serviceId).toBe(`1s${blue.id}`);
    const scaledUp = bed.sim.requests.findIndex((r) => r.method === 'PUT' && r.path.endsWith(`/services/1s${blue.id}`));
    const switched = bed.sim.requests.findIndex((r) => r.method === 'PUT' && r.body?.lbConfig !== undefined && bed.sim.requests.indexOf(r) > scaledUp);
    expect(scaledUp).toBeGreaterThan(-1);
    expect(switched).toBeGreaterThan(scaledUp);
  });

  it('a standby that never turns healthy is rolled back and the load balancer is not touched', async () => {
    await deploy({ ...bg, image: V1 });
    await deploy({ ...bg, image: V2 });
    const lbBefore = JSON.stringify(bed.sim.service('lb', 'auth-lb')!.lbConfig);
    bed.sim.faults.neverHealthy.add(`docker:${BAD}`);
    const step = await deploy({ ...bg, image: BAD, 'health-timeout': '2' });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(/^Service auth-service in auth-blue: not healthy within the timeout of 2 s .*; the load balancer still sends traffic to auth-green$/);
    expect(JSON.stringify(bed.sim.service('lb', 'auth-lb')!.lbConfig)).toBe(lbBefore);
    await until('auth-blue to settle on the old image', () => (bed.sim.imageOf(bed.sim.service('auth-service', 'auth-blue')!) === V1 ? true : undefined), 10_000, 20);
    expect(bed.sim.imageOf(bed.sim.service('auth-service', 'auth-blue')!)).toBe(V1);
  });

  it('verify-url: switched only once the standby answers 2xx; never while it answers 503', async () => {
    let status = 503;
    const server = http.createServer((_req, res) => res.writeHead(status).end()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const verifyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    try {
      await deploy({ ...bg, image: V1 });
      const lbBefore = JSON.stringify(bed.sim.service('lb', 'auth-lb')!.lbConfig);
      const refused = await deploy({ ...bg, image: V2, 'verify-url': verifyUrl, 'health-timeout': '2' });
      expect(refused.exitCode).toBe(1);
      expect(refused.errors[0]).toBe(`verify-url ${verifyUrl} did not answer 2xx within 2 s (last: HTTP 503); not switched, the load balancer still sends traffic to auth-blue`);
      expect(JSON.stringify(bed.sim.service('lb', 'auth-lb')!.lbConfig)).toBe(lbBefore);
      status = 200;
      const ok = await deploy({ ...bg, image: V2, 'verify-url': verifyUrl });
      expect(ok.exitCode, lines(ok)).toBe(0);
      expect(ok.outputs['active-stack']).toBe('auth-green');
    } finally {
      server.close();
    }
  });

  it('the certificate ends up on the load balancer, with a TLS rule 9001 to 9000, and its key never in a log', async () => {
    await deploy({ ...bg, image: V1 });
    const step = await deploy({ ...bg, image: V2, certificate: CERT, 'certificate-key': KEY });
    expect(step.exitCode, lines(step)).toBe(0);
    expect(step.masks.some((m) => m.includes(KEY_BODY))).toBe(true);
    const cert = bed.sim.certificates.find((c) => c.name === 'auth-cert')!;
    expect(cert.key).toBe(KEY);
    const lbConfig = bed.sim.service('lb', 'auth-lb')!.lbConfig as { defaultCertificateId: string; portRules: { sourcePort: number; targetPort: number; protocol: string; serviceId: string }[] };
    const green = bed.sim.service('auth-service', 'auth-green')!;
    expect(lbConfig.defaultCertificateId).toBe(cert.id);
    expect(lbConfig.portRules).toEqual([
      { sourcePort: 9000, targetPort: 9000, protocol: 'http', serviceId: `1s${green.id}` },
      { sourcePort: 9001, targetPort: 9000, protocol: 'https', serviceId: `1s${green.id}` },
    ]);
  });
});

describe('rancher-deploy: bad inputs fail in one line naming the input, before any request', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['batch size 0', { 'batch-size': '0' }, /^Input 'batch-size' is invalid: "0"; expected a whole number from 1 to 1000$/],
    ['a negative interval', { 'batch-interval': '-2' }, /^Input 'batch-interval' is invalid: "-2"; expected seconds from 0 to 3600$/],
    ['an unknown strategy', { strategy: 'canary' }, /^Input 'strategy' is invalid: "canary"; expected one of rolling, blue-green$/],
    ['an unknown target', { target: 'kubernetes' }, /^Input 'target' is invalid: "kubernetes"; expected one of rancher, swarm$/],
    ['a URL that is not http(s)', { 'rancher-url': 'ftp://rancher.example.com' }, /^Input 'rancher-url' is invalid: "ftp:\/\/rancher.example.com"; expected an http:\/\/ or https:\/\/ URL without credentials$/],
    ['a stack name with spaces', { stack: 'auth service' }, /^Input 'stack' is invalid: "auth service"; expected a name of letters, digits and -/],
    ['a certificate that is not PEM', { certificate: 'not a certificate', 'certificate-key': KEY }, /^Input 'certificate' is invalid: "not a certificate"; expected a PEM certificate/],
    ['a key that is not PEM (masked)', { certificate: CERT, 'certificate-key': 'secret-not-pem' }, /^Input 'certificate-key' is invalid: \*\*\*; expected a PEM private key/],
    ['a verify URL that is not http(s)', { strategy: 'blue-green', 'lb-service': 'auth-lb/lb', 'verify-url': 'file:///etc/passwd' }, /^Input 'verify-url' is invalid/],
    ['a registry password without its user (masked)', { 'registry-password': 'registry-secret-1' }, /^Input 'registry-username' is invalid: ""; expected the user of registry-password$/],
    ['a registry user without its password', { 'registry-username': 'deployer' }, /^Input 'registry-password' is invalid: \*\*\*; expected the password or token of registry-username$/],
    ['a registry user with a space', { 'registry-username': 'de ployer', 'registry-password': 'registry-secret-1' }, /^Input 'registry-username' is invalid: "de ployer"; expected a registry user name/],
  ];
  for (const [name, inputs, error] of cases)
    it(name, async () => {
      const step = await deploy({ services: 'auth-service', image: V2, ...inputs });
      expect(step.exitCode).toBe(1);
      expect(step.errors).toHaveLength(1);
      expect(step.errors[0]).toMatch(error);
      expect(step.errors[0]).not.toContain('\n');
      expect(bed.sim.requests).toHaveLength(0);
    });
});

describe('rancher-deploy on the Rancher 1.x simulator (test double): secrets', () => {
  it("no run's logs, outputs, state or summary hold a secret key or the certificate key (the ::add-mask:: commands aside)", () => {
    expect(steps.length).toBeGreaterThan(20);
    const secrets = [...new RancherSimulator().keys.map((k) => k.secret), KEY_BODY, 'registry-secret-1'];
    for (const step of steps) {
      const all = visibleText(step);
      for (const secret of secrets) expect(all.includes(secret), 'a secret in a step').toBe(false);
    }
  });
});

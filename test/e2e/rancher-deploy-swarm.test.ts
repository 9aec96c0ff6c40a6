/**
 * rancher-deploy with target swarm on the test bed's real single-node swarm: examples/auth-service
 * (with its MariaDB) behind examples/haproxy-lb, under continuous load counted response by
 * response, with a control run that shows the same load does see a careless rollout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visibleText } from '../support/secrets';
import { Job, type StepOptions, type StepResult } from '../../scripts/harness';
import { buildLoadBalancerImage, deployLoadBalancer } from '../../scripts/load-balancer';
import { LOAD_FLOOR, Load, measureAlone, untilServing, type LoadResult } from '../support/load';
import { budget } from '../support/budget';
import { copyExample, docker } from '../support/testbed';
import { timed } from '../../scripts/timing';
import { until } from '../support/until';

const id = process.pid;
const REPO = `${process.env.REGISTRY}/drover-deploy-${id}`;
const V1 = `${REPO}/auth-service:1.0.0`;
const V2 = `${REPO}/auth-service:1.1.0`;
const BAD = `${REPO}/auth-service:unhealthy`;
const SLOW = `${REPO}/auth-service:slow-start`;
const CRASH = `${REPO}/auth-service:crash`;
const LB_IMAGE = `${REPO}/haproxy-lb:1`;
const NETWORK = `drover-lb-${id}`;
const ROLL = `roll-${id}`;
const BG = `bg-${id}`;
const ports = { roll: 20000 + (id % 5000), bg: 25000 + (id % 5000), bgTls: 30000 + (id % 5000) };

const job = new Job();
const steps: StepResult[] = [];
const stacks: string[] = [];
let tls: { dir: string; cert: string; key: string };

function dockerIn(...args: string[]): string {
  return execFileSync('docker', ['--config', path.join(job.home, '.docker'), ...args], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

function build(tag: string, dockerfile: string): Promise<void> {
  return timed('build', `docker build ${tag}`, () => {
    execFileSync('docker', ['build', '-q', '-t', tag, '-'], { input: dockerfile, stdio: ['pipe', 'ignore', 'pipe'] });
    dockerIn('push', '-q', tag);
  });
}

function deployLb(stack: string, published: number, backends: string, httpsPort?: number): void {
  deployLoadBalancer(stack, { dockerConfig: path.join(job.home, '.docker'), image: LB_IMAGE, network: NETWORK, published, backends, httpsPort });
  stacks.push(stack);
}

const withDefaults = { target: 'swarm', 'compose-file': 'swarm/docker-compose.yml', 'rancher-compose-file': 'swarm/rancher-compose.yml', variables: `LB_NETWORK=${NETWORK}` };

async function deploy(inputs: Record<string, string>, opts: Pick<StepOptions, 'signalAfterMs' | 'signalWhen'> = {}): Promise<StepResult> {
  const step = await job.run('rancher-deploy', {
    with: { ...withDefaults, ...inputs },
    ...opts,
  });
  steps.push(step);
  return step;
}

/** The load through the balancer while fn runs, and for a hundred answers after. */
async function underLoad<T>(url: string, fn: () => Promise<T>): Promise<[T, LoadResult]> {
  const load = new Load(url, 100);
  const value = await fn();
  await load.answered(100);
  return [value, await load.stop()];
}

/** The load was real (LOAD_FLOOR), and the run printed what it measured. */
function expectRealLoad(what: string, load: LoadResult): void {
  console.log(`${what}: ${load.total} requests in ${load.seconds.toFixed(1)} s (${load.rps.toFixed(0)}/s, at most ${load.maxGapMs} ms apart), ${load.failed} failed${load.failedBetween ? ` between ${load.failedBetween.join(' s and ')} s` : ''}`);
  expect(load.rps, what).toBeGreaterThanOrEqual(LOAD_FLOOR.rps);
  expect(load.maxGapMs, what).toBeLessThanOrEqual(LOAD_FLOOR.maxGapMs);
}

function runningImages(service: string): string[] {
  return docker('service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.Image}} {{.CurrentState}}')
    .split('\n')
    .filter((l) => / Running /.test(l))
    .map((l) => l.split(' ')[0]!.replace(/@sha256:.*/, ''));
}

/** An image reference as swarm runs it: the tag, pinned to its digest. */
const pinned = (ref: string) => new RegExp(`^${ref.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`);

function log(step: StepResult): string {
  return `${step.stdout}\n${step.stderr}`;
}

let release: () => void = () => {};

beforeAll(async () => {
  release = await measureAlone('rancher-deploy-swarm');
  copyExample('auth-service', job.workspace);
  fs.mkdirSync(path.join(job.home, '.docker'), { recursive: true });
  execFileSync('docker', ['--config', path.join(job.home, '.docker'), 'login', process.env.REGISTRY!, '-u', process.env.REGISTRY_USER!, '--password-stdin'], { input: process.env.REGISTRY_PASSWORD!, stdio: ['pipe', 'ignore', 'pipe'] });
  job.chown(job.dir);
  // The pipeline's own first stages make the image: build the artifact, then package it.
  const built = await job.run('setup-builder', { with: { dockerfile: 'builder/Dockerfile', image: `auth-builder:deploy-${id}`, 'ca-bundle': '/etc/ssl/certs/ca-certificates.crt' } });
  expect(built.exitCode, log(built)).toBe(0);
  const packaged = await job.run('push-image', { with: { images: `${REPO}/auth-service`, tags: '1.0.0', 'run-number-branches': '', registry: process.env.REGISTRY!, username: process.env.REGISTRY_USER!, password: process.env.REGISTRY_PASSWORD!, logout: 'false' } });
  expect(packaged.exitCode, log(packaged)).toBe(0);
  await build(V2, `FROM ${V1}\nLABEL org.opencontainers.image.version=1.1.0\n`);
  // answers every request, /health too, with 503 at once: its health check never passes
  await build(BAD, `FROM ${V1}\nENTRYPOINT ["node", "-e", "require('http').createServer((q, r) => { r.writeHead(503); r.end('unhealthy') }).listen(9000)"]\n`);
  // exits at once: an update to it fails on its first task
  await build(CRASH, `FROM ${V1}\nENTRYPOINT ["sh", "-c", "exit 3"]\n`);
  // listens 5 s after it starts: a stop-first rollout of all replicas at once leaves nothing serving that long
  await build(SLOW, `FROM ${V1}\nENTRYPOINT ["sh", "-c", "sleep 5 && exec node /opt/auth-service/auth-service.cjs \\"$@\\"", "sh"]\n`);
  buildLoadBalancerImage(LB_IMAGE);
  dockerIn('push', '-q', LB_IMAGE);
  docker('network', 'create', '--driver', 'overlay', '--attachable', NETWORK);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=auth.example.com'], { stdio: 'ignore' });
  tls = { dir, cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'), key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8') };
}, 900_000);

afterAll(async () => {
  for (const stack of stacks)
    try {
      docker('stack', 'rm', stack);
    } catch {
      // removed already
    }
  await until('the stacks to leave the network', () => (docker('network', 'inspect', NETWORK, '--format', '{{len .Containers}}') === '0' ? true : undefined), 60_000, 1_000).catch(() => undefined);
  const volumes = stacks.filter((s) => s.endsWith('-lb')).map((s) => `${s}_state`); // a stack's named volumes outlive `stack rm`
  for (const volume of volumes)
    // in use until the stack's last container is gone
    await until(`${volume} removed`, () => (spawnSync('docker', ['volume', 'rm', volume]).status === 0 ? true : undefined), 60_000, 1_000).catch(() => undefined);
  for (const cmd of [['network', 'rm', NETWORK], ['rmi', '-f', V1, `${REPO}/auth-service:develop`, V2, BAD, SLOW, CRASH, LB_IMAGE, `auth-builder:deploy-${id}`]])
    try {
      docker(...cmd);
    } catch {
      // already gone
    }
  for (const s of docker('secret', 'ls', '--format', '{{.Name}}').split('\n').filter((n) => n.startsWith(`${BG}-cert-`))) docker('secret', 'rm', s);
  if (tls) fs.rmSync(tls.dir, { recursive: true, force: true });
  job.cleanup();
  release();
});

describe('rancher-deploy on a real swarm: rolling upgrade under load through HAProxy', () => {
  const url = `http://127.0.0.1:${ports.roll}/health`;
  const service = `${ROLL}_auth-service`;

  it('creates the stack from the compose files, 3 replicas (scale from rancher-compose.yml), healthy', async () => {
    deployLb(`${ROLL}-lb`, ports.roll, `${ROLL}=tasks.${service}:9000`);
    const step = await deploy({ stack: ROLL, services: 'auth-service', image: V1, 'health-timeout': '240' });
    expect(step.exitCode, log(step)).toBe(0);
    expect(step.outputs).toMatchObject({ image: V1, state: 'active' });
    expect(runningImages(service)).toEqual([V1, V1, V1]);
    stacks.push(ROLL);
    await untilServing(url);
  }, budget(240, 120));

  it('3 replicas upgraded start-first: zero failed requests under load', async () => {
    const [step, load] = await underLoad(url, () => deploy({ stack: ROLL, services: 'auth-service', image: V2, 'health-timeout': '180' }));
    expect(step.exitCode, log(step)).toBe(0);
    expectRealLoad('start-first rolling upgrade', load);
    expect(load.failed, load.samples.join('; ')).toBe(0);
    expect(runningImages(service)).toEqual([V2, V2, V2]);
    expect(step.outputs).toMatchObject({ image: V2, state: 'active' });
    expect(step.outputs['previous-image']).toMatch(pinned(V1)); // the exact reference that ran, digest and all
    expect(step.summary).toMatch(/auth-service: 3 of 3 new containers started, 3 healthy/);
  }, budget(180));

  it('an image whose health check fails is rolled back by itself: zero failed requests, the old version still answering', async () => {
    const [step, load] = await underLoad(url, () => deploy({ stack: ROLL, services: 'auth-service', image: BAD, 'health-timeout': '120' }));
    expectRealLoad('unhealthy image', load);
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(new RegExp(`^Service auth-service: (swarm reports the update rollback_completed|not healthy within the timeout of 120 s)[\\s\\S]*; rolled back, the stack ${ROLL} runs ${V2.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64} again$`));
    expect(step.errors[0]).toContain('unhealthy container'); // swarm's own reason for the failed tasks
    expect(load.failed, load.samples.join('; ')).toBe(0);
    expect(runningImages(service)).toEqual([V2, V2, V2]);
    await untilServing(url, 10_000, 3);
  }, budget(120, 10));

  it('a cancelled deploy (SIGINT in main, then post) ends on the old version or the new one, never between', async () => {
    const inputs = { stack: ROLL, services: 'auth-service', image: runningImages(service)[0] === V1 ? V2 : V1, 'health-timeout': '180' };
    const main = await deploy(inputs, { signalAfterMs: ['SIGINT', 6_000] });
    expect(main.exitCode).not.toBe(0);
    expect(main.stdout).toContain('Received SIGINT');
    const post = await job.post('rancher-deploy', main, { with: { ...withDefaults, ...inputs } });
    steps.push(post!);
    expect(post!.exitCode, log(post!)).toBe(0);
    const status = JSON.parse(docker('service', 'inspect', service, '--format', '{{json .UpdateStatus}}')) as { State: string };
    expect(['completed', 'rollback_completed']).toContain(status.State);
    const images = runningImages(service);
    expect(images).toHaveLength(3);
    expect(new Set(images).size, images.join(', ')).toBe(1);
  }, budget(180, 180));

  it('control: the same load sees failures when all 3 are replaced stop-first at once', async () => {
    const [step, load] = await underLoad(url, () => deploy({ stack: ROLL, services: 'auth-service', image: SLOW, 'start-first': 'false', 'batch-size': '3', 'health-timeout': '180' }));
    expectRealLoad('control, stop-first all at once', load);
    console.log(`control failures: ${load.samples.slice(0, 3).join('; ')}`);
    expect(step.exitCode, log(step)).toBe(0);
    expect(load.failed).toBeGreaterThan(0);
  }, budget(180));

  it('an update an earlier run left paused is rolled back first (leftovers: rollback), then the deploy goes on', async () => {
    const good = runningImages(service)[0]!;
    // What a runner that died leaves: an update with failure action pause, stuck on an image whose
    // tasks fail (one that exits at once: swarm pauses within seconds, where a failing health check
    // takes its start period and retries, as the test above shows).
    docker('service', 'update', '--detach', '--with-registry-auth', '--image', CRASH, '--update-failure-action', 'pause', '--update-monitor', '5s', service);
    await timed('wait', 'until the update pauses', () => until('the update to pause', () => (docker('service', 'inspect', service, '--format', '{{.UpdateStatus.State}}').endsWith('paused') ? true : undefined), 120_000, 1_000));
    expect(docker('service', 'inspect', service, '--format', '{{.UpdateStatus.State}}')).toBe('paused');
    const next = good === V1 ? V2 : V1;
    const step = await deploy({ stack: ROLL, services: 'auth-service', image: next, 'health-timeout': '180' });
    expect(step.exitCode, log(step)).toBe(0);
    expect(step.stdout).toContain('auth-service was left canceled-upgrade by an earlier run (leftovers: rollback): rolled back: rollback_completed');
    expect(step.outputs['previous-image']).toMatch(pinned(good));
    expect(runningImages(service)).toEqual([next, next, next]);
  }, budget(120, 180));

  // The blue-green rollouts are measured next: this stack no longer takes the machine's time.
  afterAll(() => {
    for (const stack of [ROLL, `${ROLL}-lb`]) docker('stack', 'rm', stack); // its volume goes with the rest at the end
  });
});

describe('rancher-deploy on a real swarm: blue-green under load through HAProxy', () => {
  const url = `http://127.0.0.1:${ports.bg}/health`;
  const lb = `${BG}-lb_lb`;
  const bg = { stack: BG, strategy: 'blue-green', 'lb-service': lb, services: 'auth-service', 'health-timeout': '240' };
  /** What the load balancer's HAProxy itself answers (its runtime API, through the task's own admin socket). */
  const activeBackend = () =>
    docker('exec', docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${lb}`).split('\n')[0]!, 'sh', '-c', 'echo "show map /var/lib/drover-lb/active.map" | socat stdio "unix-connect:/var/lib/drover-lb/run/$LB_TASK.sock"')
      .split(' ')
      .pop();

  it('the first deploy goes to blue and the load balancer switches to it', async () => {
    deployLb(`${BG}-lb`, ports.bg, `${BG}-blue=tasks.${BG}-blue_auth-service:9000 ${BG}-green=tasks.${BG}-green_auth-service:9000`, ports.bgTls);
    stacks.push(`${BG}-blue`, `${BG}-green`);
    await until('the load balancer to run', () => docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${lb}`) || undefined, 60_000, 1_000);
    const step = await deploy({ ...bg, image: V1 });
    expect(step.exitCode, log(step)).toBe(0);
    expect(step.outputs).toMatchObject({ 'active-stack': `${BG}-blue`, 'standby-stack': '', image: V1 });
    expect(activeBackend()).toBe(`${BG}-blue`);
    await untilServing(url);
  }, budget(60, 240, 120));

  it('switches to green with zero failed requests, and rollback switches back with zero', async () => {
    const [step, load] = await underLoad(url, () => deploy({ ...bg, image: V2, 'verify-url': '' }));
    expectRealLoad('blue-green switch', load);
    expect(step.exitCode, log(step)).toBe(0);
    expect(step.outputs).toMatchObject({ 'active-stack': `${BG}-green`, 'standby-stack': `${BG}-blue`, image: V2 });
    expect(step.outputs['previous-image']).toMatch(pinned(V1));
    expect(load.failed, `${load.samples.join('; ')}\nthe deploy:\n${log(step)}`).toBe(0);
    expect(activeBackend()).toBe(`${BG}-green`);
    expect(docker('service', 'inspect', lb, '--format', '{{index .Spec.Labels "io.drover.active"}}')).toBe(`${BG}-green`);
    expect(docker('service', 'inspect', `${BG}-blue_auth-service`, '--format', '{{.Spec.Mode.Replicated.Replicas}}')).toBe('3'); // the old stack stays for an instant rollback

    const [back, load2] = await underLoad(url, () => deploy({ ...bg, action: 'rollback' }));
    expectRealLoad('blue-green rollback', load2);
    expect(back.exitCode, log(back)).toBe(0);
    expect(back.outputs).toMatchObject({ 'active-stack': `${BG}-blue`, 'standby-stack': `${BG}-green`, state: 'rolled-back' });
    expect(back.outputs.image).toMatch(pinned(V1)); // what the stack runs again, exactly
    expect(load2.failed, load2.samples.join('; ')).toBe(0);
    expect(activeBackend()).toBe(`${BG}-blue`);
  }, budget(240, 240));

  it('a switch cancelled while its job runs ends with every task of the load balancer on one colour, and post says which', async () => {
    const before = activeBackend()!;
    const other = before === `${BG}-blue` ? `${BG}-green` : `${BG}-blue`;
    const switchJob = (prefix: string) => docker('service', 'ls', '-q', '--filter', `name=${prefix}`);
    const main = await deploy({ ...bg, image: V2 }, { signalWhen: ['SIGINT', (out) => / tasks? of \S+ to \S+: a job on every node/.test(out)] }); // as the switch starts its job
    expect(main.exitCode, log(main)).not.toBe(0);
    expect(main.stdout).toContain('Received SIGINT');
    const post = await job.post('rancher-deploy', main, { with: { ...withDefaults, ...bg, image: V2 } });
    steps.push(post!);
    expect(post!.exitCode, log(post!)).toBe(0);
    expect(post!.stdout).toContain(`The switch of ${lb} to ${other} did not finish: switching every task to ${before}`);
    expect(post!.stdout).toContain(`Every task of ${lb} sends traffic to ${before}`);
    expect(activeBackend()).toBe(before);
    expect(docker('service', 'inspect', lb, '--format', '{{index .Spec.Labels "io.drover.active"}}')).toBe(before);
    expect(switchJob(JSON.parse(main.state['lb-switch']!).jobs)).toBe(''); // no job of this run left behind
  }, budget(240, 240));

  it('HTTPS: the PEM goes to the load balancer as a Docker secret, which then serves TLS', async () => {
    const standby = activeBackend() === `${BG}-blue` ? `${BG}-green` : `${BG}-blue`;
    const step = await deploy({ ...bg, image: V2, certificate: tls.cert, 'certificate-key': tls.key });
    expect(step.exitCode, log(step)).toBe(0);
    const secrets = docker('service', 'inspect', lb, '--format', '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}>{{.File.Name}} {{end}}');
    expect(secrets).toMatch(new RegExp(`^${BG}-cert-[0-9a-f]{12}>lb\\.pem$`));
    const https = () => spawnSync('curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${ports.bgTls}/health`], { encoding: 'utf8' }).stdout;
    await until('HTTPS to answer 200', () => (https() === '200' ? true : undefined), 60_000, 1_000);
    expect(https()).toBe('200');
    expect(activeBackend()).toBe(standby);
    const again = await deploy({ ...bg, action: 'rollback' });
    expect(again.exitCode, log(again)).toBe(0);
    const lbContainer = () => docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${lb}`);
    const before = lbContainer();
    const rerun = await deploy({ ...bg, image: V2, certificate: tls.cert, 'certificate-key': tls.key });
    expect(rerun.exitCode, log(rerun)).toBe(0);
    expect(rerun.stdout).toContain(`Certificate ${BG}-cert already on ${lb}`);
    expect(lbContainer()).toBe(before); // the same certificate again: the load balancer is not restarted

    // Renewal: a new certificate replaces the old one as lb.pem in the same update, and the old secret goes.
    const oldSecret = secrets.split('>')[0]!;
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(tls.dir, 'key2.pem'), '-out', path.join(tls.dir, 'cert2.pem'), '-days', '2', '-subj', '/CN=auth.example.com'], { stdio: 'ignore' });
    const renewed = await deploy({ ...bg, image: V2, certificate: fs.readFileSync(path.join(tls.dir, 'cert2.pem'), 'utf8'), 'certificate-key': fs.readFileSync(path.join(tls.dir, 'key2.pem'), 'utf8') });
    expect(renewed.exitCode, log(renewed)).toBe(0);
    const now = docker('service', 'inspect', lb, '--format', '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}>{{.File.Name}} {{end}}');
    expect(now).toMatch(new RegExp(`^${BG}-cert-[0-9a-f]{12}>lb\\.pem$`));
    expect(now).not.toContain(oldSecret);
    expect(docker('secret', 'ls', '--format', '{{.Name}}').split('\n')).not.toContain(oldSecret);
    await until('HTTPS to answer 200 with the new certificate', () => (https() === '200' ? true : undefined), 60_000, 1_000);
  }, budget(240, 60, 240, 240, 240));
});

describe('rancher-deploy on a real swarm: the runner files a stack file may make it read', () => {
  // the case, what the service adds, what the stack file adds at the top, the key refused, and the files around it
  const cases: [string, string, string, string, (dir: string) => void][] = [
    ['a secret from a system file', '', 'secrets:\n  leak:\n    file: /etc/hostname\n', 'secrets.leak.file: /etc/hostname', () => undefined],
    ['a config through a symlink that leads out of the workspace', '', 'configs:\n  leak:\n    file: ./link/passwd\n', 'configs.leak.file: ./link/passwd', (dir) => fs.symlinkSync('/etc', path.join(dir, 'swarm/link'))],
    ["a service's env_file from the process environment", '    env_file: /proc/self/environ\n', '', 'services.app.env_file: /proc/self/environ', () => undefined],
  ];
  it.each(cases)('%s is refused before anything is deployed, naming the key and the path', async (name, service, top, key, setUp) => {
    const dir = path.join(job.workspace, `leak-${cases.findIndex((c) => c[0] === name)}`);
    fs.mkdirSync(path.join(dir, 'swarm'), { recursive: true });
    setUp(dir);
    fs.writeFileSync(path.join(dir, 'swarm/stack.yml'), `services:\n  app:\n    image: ${V1}\n${service}${top}`);
    job.chown(dir);
    const stack = `leak-${id}`;
    const step = await deploy({ stack, services: 'app', image: V1, 'compose-file': path.relative(job.workspace, path.join(dir, 'swarm/stack.yml')), 'rancher-compose-file': '' });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(new RegExp(`^Input 'compose-file' is invalid: "${key.replace(/[.]/g, '\\.')}"; expected a file inside the workspace `));
    expect(docker('stack', 'ls', '--format', '{{.Name}}').split('\n')).not.toContain(stack);
    expect(docker('secret', 'ls', '--format', '{{.Name}}')).not.toMatch(/leak/);
  });
});

describe('rancher-deploy on a real swarm: secrets', () => {
  it("no run's logs, outputs, state or summary hold the certificate key or the registry password (the ::add-mask:: commands aside)", () => {
    expect(steps.length).toBeGreaterThan(8);
    const keyBody = tls.key.split('\n')[1]!;
    for (const step of steps) {
      const all = visibleText(step);
      expect(all).not.toContain(keyBody);
      expect(all).not.toContain(process.env.REGISTRY_PASSWORD!);
    }
  });
});

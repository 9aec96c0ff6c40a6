/**
 * rancher-deploy on the test bed's three-node swarm (scripts/testbed/swarm-nodes.sh: a manager
 * and two workers, each an engine in its own network namespace), from off the cluster: the action
 * runs on the host and reaches the manager only over SSH. Load goes through examples/haproxy-lb
 * on the workers' own addresses, counted response by response.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job, testbedEnv, type StepOptions, type StepResult } from '../../scripts/harness';
import { buildLoadBalancerImage, deployLoadBalancer } from '../../scripts/load-balancer';
import { budget } from '../support/budget';
import { LOAD_FLOOR, Load, measureAlone, untilServing, type LoadResult } from '../support/load';
import { visibleText } from '../support/secrets';
import { until } from '../support/until';

const id = process.pid;
const bed = testbedEnv();
const SOCKETS = bed.SWARM_NODES_SOCKETS!.split(',');
const [MANAGER_SOCK] = SOCKETS as [string];
const WORKER_IPS = bed.SWARM_NODES_IPS!.split(',').slice(1);
const REPO = `${bed.REGISTRY}/drover-nodes-${id}`;
const LB_IMAGE = `${REPO}/haproxy-lb:1`;
const V1 = `${REPO}/app:1`;
const V2 = `${REPO}/app:2`;
const BAD = `${REPO}/app:unhealthy`;
const SLOW = `${REPO}/app:slow-start`;
const NETWORK = `drover-lb-${id}`;
const ROLL = `nroll-${id}`;
const BG = `nbg-${id}`;
const ports = { roll: 20000 + (id % 5000), bg: 25000 + (id % 5000) };

const job = new Job();
const keys = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-nodes-'));
const dockerConfig = path.join(keys, 'docker');
let key = '';
let pub = '';
let tlsKey = '';
const steps: StepResult[] = [];

/** The docker CLI on the cluster's manager (a test's own look, never the action's way in). */
function cluster(...args: string[]): string {
  return execFileSync('docker', ['--config', dockerConfig, '-H', MANAGER_SOCK, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** An app that answers every request with its version (HAProxy's own `return`), healthy unless told otherwise. */
function appImage(tag: string, version: string, opts: { status?: number; delayS?: number } = {}): void {
  const cfg = ['global', '    log stdout format raw local0 warning', 'defaults', '    mode http', '    timeout client 30s', '    timeout connect 2s', '    timeout server 30s', 'frontend web', '    bind :9000', `    http-request return status ${opts.status ?? 200} content-type text/plain string ${version}`];
  const run = `${opts.delayS ? `sleep ${opts.delayS} && ` : ''}exec haproxy -db -f /etc/haproxy/app.cfg`;
  const dockerfile = [
    `FROM ${LB_IMAGE}`,
    `RUN printf '%s\\n' ${cfg.map((l) => `'${l}'`).join(' ')} > /etc/haproxy/app.cfg`,
    `HEALTHCHECK --interval=1s --timeout=2s --retries=3 --start-period=${(opts.delayS ?? 0) + 5}s CMD printf 'GET /health HTTP/1.0\\r\\n\\r\\n' | socat -t 2 - TCP:127.0.0.1:9000 | head -1 | grep -q ' 200 '`,
    'STOPSIGNAL SIGUSR1',
    `ENTRYPOINT ["sh", "-c", ${JSON.stringify(run)}]`,
  ].join('\n');
  execFileSync('docker', ['build', '-q', '-t', tag, '-'], { input: dockerfile, stdio: ['pipe', 'ignore', 'pipe'] });
  execFileSync('docker', ['--config', dockerConfig, 'push', '-q', tag], { stdio: 'ignore' });
}

const STACK_FILE = `services:
  app:
    image: ${V1}
    networks: [lb]
    stop_grace_period: 5s
    deploy:
      endpoint_mode: dnsrr
      replicas: 3
      placement:
        preferences:
          - spread: node.labels.drover.node
networks:
  lb:
    external: true
    name: ${NETWORK}
`;

/** The inputs of every run here: the manager over SSH, with the registry login its workers pull with. */
function withConnection(inputs: Record<string, string>): Record<string, string> {
  return {
    target: 'swarm', services: 'app', 'compose-file': 'stack.yml', 'rancher-compose-file': '', 'health-timeout': '180',
    'swarm-host': `ssh://deploy@${bed.SWARM_NODES_MANAGER}`, 'swarm-ssh-key': key, 'swarm-known-hosts': `${bed.SWARM_NODES_MANAGER} ssh-ed25519 ${bed.SWARM_NODES_HOST_KEY_ED25519}\n`,
    'registry-username': bed.REGISTRY_USER!, 'registry-password': bed.REGISTRY_PASSWORD!, ...inputs,
  };
}

async function deploy(inputs: Record<string, string>, opts: Pick<StepOptions, 'signalWhen'> = {}): Promise<StepResult> {
  const step = await job.run('rancher-deploy', { with: withConnection(inputs), ...opts });
  steps.push(step);
  return step;
}

/** Whether a command succeeds (for clean-up waits). */
function succeeds(...args: string[]): true | undefined {
  try {
    execFileSync('docker', args, { stdio: 'ignore' });
    return true;
  } catch {
    return undefined;
  }
}

const log = (s: StepResult) => `${s.stdout}\n${s.stderr}`;

/** Load at 50 requests/s on each worker's load balancer, while fn runs and for a hundred answers after. */
async function underLoad<T>(port: number, fn: () => Promise<T>): Promise<[T, LoadResult[]]> {
  const loads = WORKER_IPS.map((ip) => new Load(`http://${ip}:${port}/`, 50));
  const value = await fn();
  await Promise.all(loads.map((l) => l.answered(100)));
  return [value, await Promise.all(loads.map((l) => l.stop()))];
}

function expectRealLoad(what: string, loads: LoadResult[]): number {
  for (const [i, load] of loads.entries()) {
    console.log(`${what}, load balancer on ${WORKER_IPS[i]}: ${load.total} requests in ${load.seconds.toFixed(1)} s (${load.rps.toFixed(0)}/s, at most ${load.maxGapMs} ms apart), ${load.failed} failed`);
    expect(load.rps, what).toBeGreaterThanOrEqual(LOAD_FLOOR.rps);
    expect(load.maxGapMs, what).toBeLessThanOrEqual(LOAD_FLOOR.maxGapMs);
  }
  return loads.reduce((n, l) => n + l.failed, 0);
}

/** Each running task of a service: its node's id and role, and its image (digest dropped). */
function tasksOf(service: string): { node: string; role: string; image: string }[] {
  return cluster('service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.ID}}|{{.Image}}|{{.CurrentState}}')
    .split('\n')
    .filter((l) => l.includes('|Running'))
    .map((l) => {
      const node = cluster('inspect', '--type', 'task', l.split('|')[0]!, '--format', '{{.NodeID}}');
      return { node, role: cluster('node', 'inspect', node, '--format', '{{.Spec.Role}}'), image: l.split('|')[1]!.replace(/@sha256:.*/, '') };
    });
}

/** What each running load balancer task's HAProxy answers, asked on the node it runs on (a task without its admin socket answers nothing). */
function backends(lb: string): string[] {
  const ask = (sock: string, c: string) => {
    try {
      return execFileSync('docker', ['-H', sock, 'exec', c, 'sh', '-c', 'echo "show map /var/lib/drover-lb/active.map" | socat stdio "unix-connect:/var/lib/drover-lb/run/$LB_TASK.sock"'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(' ').pop()!;
    } catch {
      return [];
    }
  };
  return SOCKETS.flatMap((sock) =>
    execFileSync('docker', ['-H', sock, 'ps', '-q', '--filter', `label=com.docker.swarm.service.name=${lb}`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .flatMap((c) => ask(sock, c)),
  );
}

let release: () => void = () => {};

beforeAll(async () => {
  release = await measureAlone('rancher-deploy-swarm-nodes');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `drover-nodes-${id}`, '-f', path.join(keys, 'id')]);
  key = fs.readFileSync(path.join(keys, 'id'), 'utf8');
  pub = fs.readFileSync(path.join(keys, 'id.pub'), 'utf8').trim();
  fs.appendFileSync('/home/deploy/.ssh/authorized_keys', `${pub}\n`);
  execFileSync('docker', ['--config', dockerConfig, 'login', bed.REGISTRY!, '-u', bed.REGISTRY_USER!, '--password-stdin'], { input: bed.REGISTRY_PASSWORD!, stdio: ['pipe', 'ignore', 'pipe'] });
  buildLoadBalancerImage(LB_IMAGE);
  execFileSync('docker', ['--config', dockerConfig, 'push', '-q', LB_IMAGE], { stdio: 'ignore' });
  appImage(V1, 'v1');
  appImage(V2, 'v2');
  appImage(BAD, 'bad', { status: 503 });
  appImage(SLOW, 'slow', { delayS: 5 });
  cluster('network', 'create', '--driver', 'overlay', '--attachable', NETWORK);
  fs.writeFileSync(path.join(job.workspace, 'stack.yml'), STACK_FILE);
  job.chown(job.dir);
}, 600_000);

afterAll(async () => {
  const lines = fs.readFileSync('/home/deploy/.ssh/authorized_keys', 'utf8').split('\n');
  fs.writeFileSync('/home/deploy/.ssh/authorized_keys', lines.filter((l) => l.trim() !== pub).join('\n'));
  const stacks = [ROLL, `${ROLL}-lb`, `${BG}-blue`, `${BG}-green`, `${BG}-lb`];
  try {
    cluster('stack', 'rm', '--detach=false', ...stacks);
  } catch {
    // some were never made
  }
  await until('the network to be free', () => succeeds('-H', MANAGER_SOCK, 'network', 'rm', NETWORK), 60_000, 1_000).catch(() => undefined);
  // a stack's named volumes outlive it, on every node a task of it ran on; so do the images the nodes pulled
  for (const sock of SOCKETS) {
    for (const volume of [`${ROLL}-lb_state`, `${BG}-lb_state`]) await until(`${volume} removed`, () => succeeds('-H', sock, 'volume', 'rm', '-f', volume), 30_000, 1_000).catch(() => undefined);
    const pulled = execFileSync('docker', ['-H', sock, 'images', '-q', '--filter', `reference=${REPO}/*`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (pulled.length) succeeds('-H', sock, 'rmi', '-f', ...new Set(pulled));
  }
  succeeds('rmi', '-f', V1, V2, BAD, SLOW, LB_IMAGE);
  fs.rmSync(keys, { recursive: true, force: true });
  job.cleanup();
  release();
});

describe('rancher-deploy on a three-node swarm, from off the cluster over SSH: rolling', () => {
  const service = `${ROLL}_app`;

  it('creates the stack with its 3 replicas spread over the 3 nodes', async () => {
    deployLoadBalancer(`${ROLL}-lb`, { dockerConfig, host: MANAGER_SOCK, image: LB_IMAGE, network: NETWORK, published: ports.roll, backends: `${ROLL}=tasks.${service}:9000`, spread: { replicas: 2, constraint: 'node.role == worker' } });
    const step = await deploy({ stack: ROLL, image: V1 });
    expect(step.exitCode, log(step)).toBe(0);
    expect(step.stdout).toContain(`Swarm manager ${bed.SWARM_NODES_MANAGER}:22 over SSH as deploy`);
    const tasks = tasksOf(service);
    expect(tasks.map((t) => t.image)).toEqual([V1, V1, V1]);
    expect(new Set(tasks.map((t) => t.node)).size).toBe(3); // one on each node
    for (const ip of WORKER_IPS) await untilServing(`http://${ip}:${ports.roll}/`);
  }, budget(180, 120, 120));

  it('3 replicas upgraded start-first under load on both load balancers: zero failed requests', async () => {
    const [step, loads] = await underLoad(ports.roll, () => deploy({ stack: ROLL, image: V2 }));
    expect(step.exitCode, log(step)).toBe(0);
    expect(expectRealLoad('start-first rolling upgrade on 3 nodes', loads), loads.flatMap((l) => l.samples).join('; ')).toBe(0);
    expect(tasksOf(service).map((t) => t.image)).toEqual([V2, V2, V2]);
  }, budget(180));

  it('an image whose health check fails is rolled back by itself: zero failed requests, every task back on the old image', async () => {
    const [step, loads] = await underLoad(ports.roll, () => deploy({ stack: ROLL, image: BAD, 'health-timeout': '120' }));
    expect(step.exitCode).toBe(1);
    // swarm's own account of the new image's tasks, on the workers too (this app exits 0 on the
    // stop signal swarm sends an unhealthy container, so swarm records them Complete, with no error)
    expect(step.errors[0], cluster('service', 'ps', '--no-trunc', service)).toMatch(/\n\d+ tasks? failed; swarm says: nroll-\d+_app\.\d: /);
    expect(expectRealLoad('unhealthy image on 3 nodes', loads), loads.flatMap((l) => l.samples).join('; ')).toBe(0);
    expect(tasksOf(service).map((t) => t.image)).toEqual([V2, V2, V2]);
  }, budget(120, 120));

  it('control: the same load sees failures when all 3 are replaced stop-first at once', async () => {
    const [step, loads] = await underLoad(ports.roll, () => deploy({ stack: ROLL, image: SLOW, 'start-first': 'false', 'batch-size': '3' }));
    expect(step.exitCode, log(step)).toBe(0);
    expect(expectRealLoad('control on 3 nodes, stop-first all at once', loads)).toBeGreaterThan(0);
  }, budget(180));

  it("over TCP with TLS both ways instead of SSH: deploys with the client certificate; a CA that did not sign the engine's certificate is refused before anything", async () => {
    const pem = (name: string) => fs.readFileSync(path.join(bed.SWARM_NODES_TLS_DIR!, name), 'utf8');
    tlsKey = pem('client-key.pem');
    const viaTls = { 'swarm-host': bed.SWARM_NODES_TLS!, 'swarm-ssh-key': '', 'swarm-known-hosts': '', 'swarm-tls-ca': pem('ca.pem'), 'swarm-tls-cert': pem('client-cert.pem'), 'swarm-tls-key': tlsKey };
    const step = await deploy({ stack: ROLL, image: V1, ...viaTls });
    expect(step.exitCode, log(step)).toBe(0);
    expect(step.stdout).toContain(`Swarm manager's engine ${bed.SWARM_NODES_MANAGER}:2376 over TLS`);
    expect(tasksOf(service).map((t) => t.image)).toEqual([V1, V1, V1]);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(keys, 'other-ca-key.pem'), '-out', path.join(keys, 'other-ca.pem'), '-days', '1', '-subj', '/CN=another-ca'], { stdio: 'ignore' });
    const refused = await deploy({ stack: ROLL, image: V2, ...viaTls, 'swarm-tls-ca': fs.readFileSync(path.join(keys, 'other-ca.pem'), 'utf8') });
    expect(refused.exitCode).toBe(1);
    expect(refused.errors[0]).toMatch(new RegExp(`^Cannot reach the swarm manager's engine ${bed.SWARM_NODES_MANAGER!.replace(/[.]/g, '\\.')}:2376 over TLS: .*certificate`));
    expect(tasksOf(service).map((t) => t.image)).toEqual([V1, V1, V1]);
  }, budget(180, 60));

  afterAll(() => cluster('stack', 'rm', ROLL, `${ROLL}-lb`));
});

describe('rancher-deploy on a three-node swarm, from off the cluster over SSH: blue-green with the load balancer on the workers', () => {
  const lb = `${BG}-lb_lb`;
  const bg = { stack: BG, strategy: 'blue-green', 'lb-service': lb };

  it('the first deploy goes to blue; both load balancer tasks, on two workers, switch to it', async () => {
    deployLoadBalancer(`${BG}-lb`, { dockerConfig, host: MANAGER_SOCK, image: LB_IMAGE, network: NETWORK, published: ports.bg, backends: `${BG}-blue=tasks.${BG}-blue_app:9000 ${BG}-green=tasks.${BG}-green_app:9000`, spread: { replicas: 2, constraint: 'node.role == worker' } });
    await until('both load balancer tasks to run', () => (tasksOf(lb).length === 2 ? true : undefined), 120_000, 1_000);
    const lbTasks = tasksOf(lb);
    expect(new Set(lbTasks.map((t) => t.node)).size).toBe(2);
    expect(lbTasks.map((t) => t.role)).toEqual(['worker', 'worker']); // none on the manager, whose engine the SSH user reaches
    const step = await deploy({ ...bg, image: V1 });
    expect(step.exitCode, log(step)).toBe(0);
    expect(backends(lb)).toEqual([`${BG}-blue`, `${BG}-blue`]);
    for (const ip of WORKER_IPS) await untilServing(`http://${ip}:${ports.bg}/`);
  }, budget(120, 180, 120, 120));

  it('switches to green and back with zero failed requests on either load balancer', async () => {
    const [step, loads] = await underLoad(ports.bg, () => deploy({ ...bg, image: V2 }));
    expect(step.exitCode, log(step)).toBe(0);
    expect(expectRealLoad('blue-green switch on 3 nodes', loads), loads.flatMap((l) => l.samples).join('; ')).toBe(0);
    expect(backends(lb)).toEqual([`${BG}-green`, `${BG}-green`]);
    expect(cluster('service', 'inspect', lb, '--format', '{{index .Spec.Labels "io.drover.active"}}')).toBe(`${BG}-green`);
    const [back, loads2] = await underLoad(ports.bg, () => deploy({ ...bg, action: 'rollback' }));
    expect(back.exitCode, log(back)).toBe(0);
    expect(expectRealLoad('blue-green rollback on 3 nodes', loads2), loads2.flatMap((l) => l.samples).join('; ')).toBe(0);
    expect(backends(lb)).toEqual([`${BG}-blue`, `${BG}-blue`]);
  }, budget(180, 180));

  it('a switch cancelled while its job runs ends with both tasks on one colour, and post says which', async () => {
    const switchJob = (prefix: string) => cluster('service', 'ls', '-q', '--filter', `name=${prefix}`);
    const main = await deploy({ ...bg, image: V2 }, { signalWhen: ['SIGINT', (out) => / tasks? of \S+ to \S+: a job on every node/.test(out)] }); // as the switch starts its job
    expect(main.exitCode, log(main)).not.toBe(0);
    const post = await job.post('rancher-deploy', main, { with: withConnection({ ...bg, image: V2 }) });
    steps.push(post!);
    expect(post!.exitCode, log(post!)).toBe(0);
    expect(post!.stdout).toContain(`Every task of ${lb} sends traffic to ${BG}-blue`);
    expect(backends(lb)).toEqual([`${BG}-blue`, `${BG}-blue`]);
    expect(switchJob(JSON.parse(main.state['lb-switch']!).jobs)).toBe(''); // no job of this run left behind
  }, budget(180, 180));

  it('a switch that one task does not take is undone on the others, and the deploy says which task', async () => {
    // the task on the third node loses its admin socket (its HAProxy serves on): a switch cannot reach it
    const n3 = SOCKETS[2]!;
    const container = execFileSync('docker', ['-H', n3, 'ps', '-q', '--filter', `label=com.docker.swarm.service.name=${lb}`], { encoding: 'utf8' }).trim();
    const task = execFileSync('docker', ['-H', n3, 'inspect', container, '--format', '{{index .Config.Labels "com.docker.swarm.task.id"}}'], { encoding: 'utf8' }).trim();
    execFileSync('docker', ['-H', n3, 'exec', container, 'sh', '-c', 'rm "/var/lib/drover-lb/run/$LB_TASK.sock"']);
    const step = await deploy({ ...bg, image: V2 });
    expect(step.exitCode, log(step)).toBe(1);
    expect(step.errors[0]).toMatch(new RegExp(`^The load balancer ${lb} did not switch to ${BG}-green: 1 of 2 tasks not switched \\(${task}\\); the tasks that had switched \\([a-z0-9]{25}\\) send traffic to ${BG}-blue again$`));
    expect(backends(lb)).toEqual([`${BG}-blue`]); // the task still reachable went back (the other one cannot be asked)
    expect(cluster('service', 'inspect', lb, '--format', '{{index .Spec.Labels "io.drover.active"}}')).toBe(`${BG}-blue`);
    // swarm replaces the task whose container goes, and the new one has its socket, on the colour the volume records
    execFileSync('docker', ['-H', n3, 'rm', '-f', container], { stdio: 'ignore' });
    await until('both load balancer tasks to run again', () => (tasksOf(lb).length === 2 ? true : undefined), 120_000, 1_000);
    await until('both to answer', () => (backends(lb).length === 2 ? true : undefined), 60_000, 1_000);
    expect(backends(lb)).toEqual([`${BG}-blue`, `${BG}-blue`]);
  }, budget(180, 120, 60));

  it("no run's logs, outputs, state or summary hold the SSH key, the TLS key or the registry password", () => {
    expect(steps.length).toBeGreaterThan(6);
    const keyBody = key.split('\n')[1]!;
    const tlsKeyBody = tlsKey.split('\n')[1]!;
    expect(tlsKeyBody.length).toBeGreaterThan(20);
    for (const step of steps) {
      const all = visibleText(step);
      expect(all).not.toContain(keyBody);
      expect(all).not.toContain(tlsKeyBody);
      expect(all).not.toContain(bed.REGISTRY_PASSWORD!);
    }
  });
});

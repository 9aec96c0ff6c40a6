/** compose-itest through the runner harness, against real Docker, Compose v2 and v1, and MariaDB. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startReleaseServer } from '../support/release-server';
import { Job, type StepResult } from '../../scripts/harness';
import { containersCreatedSince, copyExample, docker } from '../support/testbed';
import { budget } from '../support/budget';

const IMAGE = `auth-service:itest-${process.pid}`;
const itest = { env: `AUTH_IMAGE=${IMAGE}`, checks: 'itest/checks.yml' };

function leftovers(project: string): string[] {
  const filter = `label=com.docker.compose.project=${project}`;
  return [
    ...docker('ps', '-aq', '--filter', filter).split('\n'),
    ...docker('network', 'ls', '-q', '--filter', filter).split('\n'),
    ...docker('volume', 'ls', '-q', '--filter', filter).split('\n'),
  ].filter(Boolean);
}

function projectOf(step: StepResult): string {
  return JSON.parse(step.state.compose!).project;
}

describe('compose-itest', () => {
  const job = new Job();
  beforeAll(async () => {
    copyExample('auth-service', job.workspace);
    job.chown(job.workspace);
    // The pipeline's own first stages: build the artifact, then package it.
    const built = await job.run('setup-builder', { with: { dockerfile: 'builder/Dockerfile', image: `auth-builder:itest-${process.pid}`, 'ca-bundle': '/etc/ssl/certs/ca-certificates.crt' } });
    expect(built.exitCode).toBe(0);
    const packaged = await job.run('push-image', { with: { images: 'auth-service', push: 'false', version: `itest-${process.pid}`, 'run-number-branches': '' } });
    expect(packaged.exitCode).toBe(0);
  }, 600_000);
  afterAll(() => {
    job.cleanup();
    docker('rmi', '-f', IMAGE, `auth-builder:itest-${process.pid}`);
  });

  it('brings up the service with a real MariaDB and passes the e-book check', async () => {
    const step = await job.run('compose-itest', { with: { ...itest, run: 'test "$(curl -s "$AUTH_SERVICE_9000_URL/health")" = OK' } });
    expect(step.errors).toEqual([]);
    expect(step.exitCode).toBe(0);
    expect(step.stdout).toContain('PASS register a new user: PUT /user -> 200');
    expect(step.stdout).toContain('PASS the same user again conflicts: PUT /user -> 409');
    const endpoints = JSON.parse(step.outputs.endpoints!);
    expect(endpoints['auth-service']['9000'].port).toBe(9000);
    expect(step.outputs.outcome).toBe('success');
    expect(step.summary).toContain('3 HTTP checks passed');
    expect(leftovers(projectOf(step))).toEqual([]);
    const post = await job.post('compose-itest', step);
    expect(post!.exitCode).toBe(0);
  });

  it('runs four environments of the same compose file at once, each with its own empty database', async () => {
    const steps = await Promise.all([1, 2, 3, 4].map((i) => job.run('compose-itest', { with: { ...itest, 'rewrite-ports': 'true', instance: `p${i}` } })));
    for (const step of steps) {
      expect(step.errors).toEqual([]);
      expect(step.exitCode).toBe(0);
      expect(step.stdout).toContain('PASS register a new user: PUT /user -> 200');
      expect(step.stdout).toMatch(/auth-service: port 9000:9000 published as 9000/);
    }
    const ports = steps.map((s) => JSON.parse(s.outputs.endpoints!)['auth-service']['9000'].port);
    expect(new Set(ports).size).toBe(4);
    expect(new Set(steps.map((s) => s.outputs['project-name'])).size).toBe(4);
    for (const step of steps) expect(leftovers(projectOf(step))).toEqual([]);
  });

  it('fails a failing check, printing every service log and saving them', async () => {
    const checks = path.join(job.workspace, 'itest/wrong.yml');
    fs.writeFileSync(checks, fs.readFileSync(path.join(job.workspace, 'itest/checks.yml'), 'utf8').replace('status: 409', 'status: 201'));
    job.chown(checks);
    const step = await job.run('compose-itest', { with: { ...itest, checks: 'itest/wrong.yml' } });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toContain('HTTP check failed: the same user again conflicts: expected 201 with "exists", got 409: User already exists');
    expect(step.stdout).toContain('::group::Logs of db');
    expect(step.stdout).toContain('::group::Logs of auth-service');
    expect(step.stdout).toContain('auth-service listening on :9000');
    expect(fs.readFileSync(path.join(step.outputs['logs-path']!, 'auth-service.log'), 'utf8')).toContain('listening on :9000');
    expect(step.outputs.outcome).toBe('failure');
    expect(leftovers(projectOf(step))).toEqual([]);
  });

  it('waits for a port on a service without a health check, and runs a test service inside the network', async () => {
    const file = path.join(job.workspace, 'itest/web.yml');
    fs.writeFileSync(
      file,
      `services:
  web:
    image: ${IMAGE}
    entrypoint: ["node", "-e", "setTimeout(() => require('http').createServer((q, r) => r.end('up')).listen(8080), 1500)"]
    ports: ["8080"]
  probe:
    image: ${IMAGE}
    profiles: ["test"]
    entrypoint: ["node", "-e", "fetch('http://web:8080/').then(r => r.text()).then(t => { console.log('probe got', t); process.exit(t === 'up' ? 0 : 1) })"]
`,
    );
    job.chown(file);
    const step = await job.run('compose-itest', { with: { 'compose-files': 'itest/web.yml', 'wait-for': 'web:8080/', 'test-service': 'probe', run: 'test "$(curl -s "$WEB_8080_URL")" = up' } });
    expect(step.errors).toEqual([]);
    expect(step.exitCode).toBe(0);
    expect(step.stdout).toContain('probe got up');
    expect(step.summary).toContain('test service probe passed, tests passed');
    expect(leftovers(projectOf(step))).toEqual([]);
  });

  it('passes the same e2e on Compose v1', async () => {
    const step = await job.run('compose-itest', { with: { ...itest, 'compose-version': 'v1', 'rewrite-ports': 'true' } });
    expect(step.errors).toEqual([]);
    expect(step.exitCode).toBe(0);
    expect(step.stdout).toContain('Compose v1, project');
    expect(step.stdout).toContain('PASS the same user again conflicts: PUT /user -> 409');
    expect(leftovers(projectOf(step))).toEqual([]);
  });

  describe('bad inputs fail before anything starts', () => {
    it.each([
      ['project-name', { 'project-name': 'My Project' }],
      ['project-name', { 'project-name': 'UPPER' }],
      ['compose-files', { 'compose-files': '../../etc/compose.yml' }],
      ['services', { services: 'auth-servce' }],
      ['checks', { checks: 'docker-compose.yml' }],
    ])('%s', async (name, inputs) => {
      const since = new Date(Date.now() - 1000).toISOString();
      const step = await job.run('compose-itest', { with: { env: `AUTH_IMAGE=${IMAGE}`, ...inputs } });
      expect(step.exitCode).toBe(1);
      expect(step.errors[0]).toMatch(new RegExp(`^Input '${name}' is invalid: `));
      expect(containersCreatedSince(since, job)).toEqual([]);
    });
  });
});

describe('compose-itest failure modes leave nothing behind', () => {
  const job = new Job();
  const compose = `services:
  app:
    image: debian:bookworm-slim
    command: ["sleep", "infinity"]
    init: true
    volumes: ["data:/data"]
    healthcheck: { test: ["CMD", "true"], interval: 1s, retries: 30 }
  never:
    image: debian:bookworm-slim
    command: ["sleep", "infinity"]
    init: true
    profiles: ["never"]
    healthcheck: { test: ["CMD", "false"], interval: 1s, retries: 3, start_period: 120s }
volumes:
  data: {}
`;
  beforeAll(() => {
    fs.writeFileSync(path.join(job.workspace, 'docker-compose.yml'), compose);
    job.chown(job.workspace);
  });
  afterAll(() => job.cleanup());

  it('names a service that never becomes healthy, within the wait timeout', async () => {
    // `never` has a start period of 120 s: only the wait timeout ends this step within the test's budget.
    const step = await job.run('compose-itest', { with: { services: 'app\nnever', 'wait-timeout': '4' } });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(/^Not ready within the wait timeout: never \(starting\)/);
    expect(leftovers(projectOf(step))).toEqual([]);
  }, budget(4));

  it('keeps a failed environment with keep-on-failure until the post step', async () => {
    const step = await job.run('compose-itest', { with: { run: 'exit 4', 'keep-on-failure': 'true' } });
    expect(step.exitCode).toBe(4);
    expect(step.stdout).toContain('keep-on-failure: project');
    expect(leftovers(projectOf(step)).length).toBeGreaterThan(0);
    await job.post('compose-itest', step);
    expect(leftovers(projectOf(step))).toEqual([]);
  });

  it('tears down in main when the job is cancelled (SIGINT)', async () => {
    const step = await job.run('compose-itest', { with: { run: 'sleep 60' }, signalAfterMs: ['SIGINT', 5_000] });
    expect(step.exitCode).not.toBe(0);
    expect(step.stdout).toContain('Received SIGINT: cancelling and cleaning up');
    expect(leftovers(projectOf(step))).toEqual([]);
    expect(JSON.parse(step.state.compose!).down).toBe(true);
  });

  // A few at a time: what each run leaves is found by its own project's labels.
  const WAIT_S = 30;
  const AT_ONCE = 4;
  const kinds = Array.from({ length: 20 }, (_, i) => ['pass', 'fail', 'timeout', 'killed'][i % 4]!);
  const rounds = Math.ceil(kinds.length / AT_ONCE);
  it('twenty runs mixing pass, fail, timeout and a killed main with its post leave no containers, networks or volumes', async () => {
    const one = async (kind: string) => {
      const inputs: Record<string, string> =
        kind === 'pass' ? { run: 'true' } : kind === 'fail' ? { run: 'exit 3' } : kind === 'timeout' ? { services: 'app\nnever', 'wait-timeout': '2' } : { run: 'sleep 60' };
      const step = await job.run('compose-itest', { with: { 'wait-timeout': String(WAIT_S), ...inputs }, ...(kind === 'killed' ? { signalAfterMs: ['SIGKILL', 6_000] as [NodeJS.Signals, number] } : {}) });
      const post = await job.post('compose-itest', step);
      return { kind, step, post: post! };
    };
    const runs: Awaited<ReturnType<typeof one>>[] = [];
    for (let r = 0; r < rounds; r++) runs.push(...(await Promise.all(kinds.slice(r * AT_ONCE, (r + 1) * AT_ONCE).map(one))));
    const outcomes: Record<string, number> = {};
    for (const { kind, step, post } of runs) {
      expect(post.exitCode).toBe(0);
      expect(step.exitCode, kind).toBe({ pass: 0, fail: 3, timeout: 1, killed: null }[kind]);
      outcomes[kind] = (outcomes[kind] ?? 0) + 1;
    }
    expect(outcomes).toEqual({ pass: 5, fail: 5, timeout: 5, killed: 5 });
    expect(new Set(runs.map((r) => projectOf(r.step))).size).toBe(20);
    for (const { step } of runs) expect(leftovers(projectOf(step)), projectOf(step)).toEqual([]);
  }, budget(...Array<number>(rounds).fill(WAIT_S)));
});

describe("compose-itest: env reaches the compose files' interpolation, never the compose CLI", () => {
  const job = new Job();
  beforeAll(() => {
    fs.writeFileSync(
      path.join(job.workspace, 'docker-compose.yml'),
      'services:\n  app:\n    image: debian:bookworm-slim\n    command: ["sleep", "infinity"]\n    init: true\n  probe:\n    image: debian:bookworm-slim\n    profiles: ["test"]\n    environment:\n      SEEN: "|${LD_PRELOAD}|${QUOTED}"\n    command: ["sh", "-c", "echo \\"probe saw $$SEEN\\""]\n',
    );
    job.chown(job.workspace);
  });
  afterAll(() => job.cleanup());

  it('LD_PRELOAD is only a variable for the compose files, and values are taken literally', async () => {
    const env = 'LD_PRELOAD=/nowhere/hook.so\nQUOTED=a $b ${c} "d"';
    const step = await job.run('compose-itest', { with: { env, 'test-service': 'probe' } });
    expect(step.errors).toEqual([]);
    expect(step.exitCode, step.stdout).toBe(0);
    expect(step.stdout).toContain('|/nowhere/hook.so|a $b ${c} "d"');
    expect(`${step.stdout}${step.stderr}`).not.toContain('cannot be preloaded'); // the dynamic loader of the CLI never saw it
    expect(leftovers(projectOf(step))).toEqual([]);
  });

  it.each([
    ['DOCKER_HOST=tcp://127.0.0.1:9', 'DOCKER_HOST'],
    ['COMPOSE_FILE=/etc/compose.yml', 'COMPOSE_FILE'],
    ['COMPOSE_PROJECT_NAME=other', 'COMPOSE_PROJECT_NAME'],
    ['PATH=/nowhere/bin', 'PATH'],
    ['HOME=/nowhere', 'HOME'],
    ["A=it's", 'A'],
  ])('%s is refused before anything runs, naming the key', async (env, key) => {
    const since = new Date().toISOString(); // the daemon's clock is this machine's
    const step = await job.run('compose-itest', { with: { env, run: 'true' } });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(new RegExp(`^Input 'env' is invalid: "${key}"; expected `));
    expect(containersCreatedSince(since, job)).toEqual([]);
  });
});

describe('compose-itest on a runner without Compose v2', () => {
  const job = new Job({ plugins: false });
  afterAll(() => job.cleanup());

  it('installs the Compose v2 plugin through the tool cache, with the runner layout', async () => {
    fs.writeFileSync(path.join(job.workspace, 'docker-compose.yml'), 'services:\n  app:\n    image: debian:bookworm-slim\n    command: ["sleep", "infinity"]\n    init: true\n');
    job.chown(job.workspace);
    const release = await startReleaseServer({ 'docker-compose-linux-x86_64': fs.readFileSync(path.join(process.env.DROVER_CLI_PLUGINS!, 'docker-compose')) });
    try {
      const url = release.url('docker-compose-linux-x86_64');
      const step = await job.run('compose-itest', {
        with: { 'compose-version': 'v2', 'compose-plugin-version': '2.26.1', 'compose-plugin-url': url, run: 'true' },
        env: { NODE_EXTRA_CA_CERTS: release.caFile },
      });
      expect(step.errors).toEqual([]);
      expect(step.exitCode).toBe(0);
      expect(step.stdout).toContain('Compose v2, project');
      expect(release.requests).toEqual(['/releases/v1/docker-compose-linux-x86_64', '/releases/v1/checksums.txt']);
      expect(fs.existsSync(path.join(job.toolCache, 'docker-compose/2.26.1/x64/docker-compose'))).toBe(true);
      expect(fs.existsSync(path.join(job.toolCache, 'docker-compose/2.26.1/x64.complete'))).toBe(true);
      expect(leftovers(projectOf(step))).toEqual([]);
    } finally {
      release.close();
    }
  });
});

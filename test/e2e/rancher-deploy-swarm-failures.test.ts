/**
 * rancher-deploy with target swarm when the service does not come up, on the test bed's real
 * swarm: a deploy gives up once its tasks keep failing (not at its timeout), and says why in
 * swarm's words and the task's own last lines; a first deploy that fails removes the stack it
 * made; progress counts each replica once, however often swarm restarts it. And a deploy
 * applies the stack file as written, every time: a changed variable reaches a running stack.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job, type StepResult } from '../../scripts/harness';
import { budget } from '../support/budget';
import { docker } from '../support/testbed';
import { until } from '../support/until';

const id = process.pid;
const REPO = `${process.env.REGISTRY}/drover-fail-${id}`;
/** Says what is wrong on stderr, then exits 3. */
const CRASH = `${REPO}/app:crash`;
/** Runs until it is told to stop. */
const GOOD = `${REPO}/app:1`;
const GOOD2 = `${REPO}/app:2`;
const STACK = `fail-${id}`;

const job = new Job();
const steps: StepResult[] = [];

function dockerIn(...args: string[]): void {
  execFileSync('docker', ['--config', path.join(job.home, '.docker'), ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
}

function build(tag: string, entrypoint: string): void {
  execFileSync('docker', ['build', '-q', '-t', tag, '-'], { input: `FROM debian:bookworm-slim\nENTRYPOINT ["sh", "-c", ${JSON.stringify(entrypoint)}]\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  dockerIn('push', '-q', tag);
}

async function deploy(image: string, replicas: number, variables = 'GREETING=hello'): Promise<StepResult> {
  fs.writeFileSync(
    path.join(job.workspace, 'stack.yml'),
    `services:\n  app:\n    image: ${GOOD}\n    environment:\n      GREETING: \${GREETING}\n    stop_grace_period: 2s\n    deploy:\n      replicas: ${replicas}\n      restart_policy:\n        delay: 1s\n`,
  );
  job.chown(job.workspace);
  const step = await job.run('rancher-deploy', {
    with: { target: 'swarm', stack: STACK, services: 'app', image, variables, 'compose-file': 'stack.yml', 'rancher-compose-file': '', 'batch-interval': '0', 'health-timeout': '240' },
  });
  steps.push(step);
  return step;
}

const log = (s: StepResult) => `${s.stdout}\n${s.stderr}`;

beforeAll(() => {
  fs.mkdirSync(path.join(job.home, '.docker'), { recursive: true });
  execFileSync('docker', ['--config', path.join(job.home, '.docker'), 'login', process.env.REGISTRY!, '-u', process.env.REGISTRY_USER!, '--password-stdin'], { input: process.env.REGISTRY_PASSWORD!, stdio: ['pipe', 'ignore', 'pipe'] });
  build(CRASH, 'echo "boom: REDIS_URL is not set" >&2; exit 3');
  build(GOOD, 'trap "exit 0" TERM; while :; do sleep 1; done');
  build(GOOD2, 'trap "exit 0" TERM; echo 2; while :; do sleep 1; done');
  job.chown(job.dir);
}, 300_000);

afterAll(async () => {
  try {
    docker('stack', 'rm', STACK);
  } catch {
    // gone already
  }
  await until('the stack to go', () => (docker('ps', '-aq', '--filter', `label=com.docker.stack.namespace=${STACK}`) === '' ? true : undefined), 60_000, 1_000).catch(() => undefined);
  for (const image of [CRASH, GOOD, GOOD2])
    try {
      docker('rmi', '-f', image);
    } catch {
      // gone already
    }
  job.cleanup();
});

describe('rancher-deploy on a real swarm: a service that does not come up', () => {
  it('a first deploy whose tasks keep failing gives up after about three failures, in swarm\'s words and the task\'s last lines, and removes the stack it made', async () => {
    const step = await deploy(CRASH, 1);
    expect(step.exitCode, log(step)).toBe(1);
    const error = step.errors[0]!;
    expect(error).toMatch(new RegExp(`^Service ${STACK}_app: its tasks keep failing\\n`));
    const failed = Number(/(\d+) tasks failed; swarm says: /.exec(error)?.[1]);
    expect(failed).toBeGreaterThanOrEqual(3); // given up on once three had failed, not at the 240 s timeout
    expect(failed).toBeLessThanOrEqual(4);
    expect(error).toContain('task: non-zero exit (3)');
    expect(error).toContain('boom: REDIS_URL is not set');
    expect(error).toContain(`The stack ${STACK}, which this deploy created, is removed: there was no earlier version to go back to`);
    expect(docker('stack', 'ls', '--format', '{{.Name}}').split('\n')).not.toContain(STACK);
  }, budget(240));

  it('an upgrade counts each replica once; one whose tasks fail is rolled back by swarm, and the error says why', async () => {
    const first = await deploy(GOOD, 2); // right after the failed first deploy removed the stack of this name
    expect(first.exitCode, log(first)).toBe(0);
    const upgraded = await deploy(GOOD2, 2);
    expect(upgraded.exitCode, log(upgraded)).toBe(0);
    const counts = [...upgraded.stdout.matchAll(/(\d+) of (\d+) new containers started/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(counts.length).toBeGreaterThan(0);
    for (const [started, replicas] of counts) expect(started).toBeLessThanOrEqual(replicas!);
    const crashed = await deploy(CRASH, 2);
    expect(crashed.exitCode, log(crashed)).toBe(1);
    expect(crashed.errors[0]).toContain('swarm reports the update rollback_completed');
    expect(crashed.errors[0]).toContain('task: non-zero exit (3)');
    expect(crashed.errors[0]).toContain('boom: REDIS_URL is not set');
  }, budget(240, 240, 240));

  it('a deploy of the same image applies the stack file as written: a changed variable reaches the running service', async () => {
    const env = () => docker('service', 'inspect', `${STACK}_app`, '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}}');
    expect(env()).toContain('GREETING=hello');
    const same = await deploy(GOOD2, 2, 'GREETING=hello');
    expect(same.exitCode, log(same)).toBe(0);
    expect(same.stdout).toContain('nothing to update'); // the same image and file: swarm starts nothing
    const changed = await deploy(GOOD2, 2, 'GREETING=bonjour');
    expect(changed.exitCode, log(changed)).toBe(0);
    expect(env()).toContain('GREETING=bonjour');
    const running = docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${STACK}_app`).split('\n').filter(Boolean);
    expect(running).toHaveLength(2);
    for (const c of running) expect(docker('inspect', c, '--format', '{{json .Config.Env}}')).toContain('GREETING=bonjour');
  }, budget(240, 240));
});

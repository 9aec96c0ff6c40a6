/** The toolkit's docker, registry and swarm modules against the real daemon, registry and single-node swarm. */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  build,
  events,
  listByLabel,
  removeByLabel,
  runContainer,
  tag,
} from '../../actions/shared/docker';
import {
  inspectService,
  rollbackService,
  serviceTasks,
  stackDeploy,
  stackRemove,
  stackServices,
  swarmState,
  updateService,
  waitForUpdate,
} from '../../actions/shared/swarm';
import { login, logout, push, pushedDigest } from '../../actions/shared/registry';
import { docker } from '../support/testbed';
import { until } from '../support/until';
import { TESTBED_DIR } from '../../scripts/harness';
import { INTERPOLATION_CASES, INTERPOLATION_VARS } from '../support/interpolation-cases';
import { interpolate } from '../../actions/shared/compose';

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-toolkit-'));
const label = `io.drover.test=toolkit-${process.pid}`;
afterAll(async () => {
  await removeByLabel('container', label);
  fs.rmSync(temp, { recursive: true, force: true });
});


describe('docker: containers', () => {
  it('gives a container its environment through an env file that leaves the CLI alone and is removed', async () => {
    const res = await runContainer(
      {
        image: 'debian:bookworm-slim',
        labels: { 'io.drover.test': `toolkit-${process.pid}` },
        env: { DOCKER_HOST: 'tcp://203.0.113.1:2375', HOME: '/tmp/home', GREETING: 'hello world=1' },
        command: ['sh', '-c', 'echo "$GREETING|$HOME|$DOCKER_HOST"'],
        ephemeral: true,
      },
      temp,
      { silent: true, capture: true },
    );
    // A DOCKER_HOST in the CLI's environment would have sent the run to an unreachable daemon.
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('hello world=1|/tmp/home|tcp://203.0.113.1:2375');
    expect(fs.readdirSync(temp)).toEqual([]);
  });

  it('lists and removes by label, and reports the events of the labelled containers', async () => {
    const seen: string[] = [];
    const controller = new AbortController();
    const watcher = events(['type=container', `label=${label}`], (e) => seen.push(String(e.Action ?? e.status)), controller.signal);
    // the watcher is listening once it reports a probe container's removal (not after a guessed delay)
    await until('the events watcher to listen', async () => {
      docker('rm', docker('create', '--label', label, 'debian:bookworm-slim', 'true'));
      return until('the probe removed', () => (seen.includes('destroy') ? true : undefined), 2_000, 50).catch(() => undefined);
    }, 30_000, 0);
    seen.length = 0;
    docker('create', '--label', label, 'debian:bookworm-slim', 'true');
    docker('create', '--label', label, 'debian:bookworm-slim', 'true');
    expect(await listByLabel('container', label)).toHaveLength(2);
    expect(await removeByLabel('container', label)).toBe(2);
    expect(await listByLabel('container', label)).toEqual([]);
    await until('two create and two destroy events', async () => (seen.filter((s) => s === 'destroy').length === 2 ? true : undefined), 10_000);
    expect(seen.filter((s) => s === 'create')).toHaveLength(2);
    watcher.stop();
    controller.abort();
  });
});

describe('docker: builds', () => {
  it('passes build args as values through a bake file: no key reaches the CLI, no template is expanded', async () => {
    const ctx = fs.mkdtempSync(path.join(temp, 'ctx-'));
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM debian:bookworm-slim\nARG DOCKER_HOST\nARG TEXT\nRUN printf "%s|%s" "$DOCKER_HOST" "$TEXT" > /args\nCMD ["cat", "/args"]\n');
    const ref = `drover-toolkit-args:${process.pid}`;
    const text = '${HOME} %{ if true }x%{ endif } $$ $${y} "q" \\';
    try {
      const id = await build({ file: path.join(ctx, 'Dockerfile'), context: ctx, tags: [ref], labels: { note: '${HOME}' }, buildArgs: { DOCKER_HOST: 'tcp://203.0.113.1:2375', TEXT: text } }, temp, { silent: true });
      expect(id).toBe(docker('image', 'inspect', '--format', '{{.Id}}', ref));
      expect(docker('run', '--rm', ref)).toBe(`tcp://203.0.113.1:2375|${text}`);
      expect(docker('image', 'inspect', '--format', '{{index .Config.Labels "note"}}', ref)).toBe('${HOME}');
      expect(fs.readdirSync(temp).filter((f) => f.startsWith('drover-'))).toEqual([]);
    } finally {
      docker('rmi', '-f', ref);
    }
  });
});

describe('registry', () => {
  const repo = `${process.env.REGISTRY}/toolkit/digest-${process.pid}`;
  afterAll(() => {
    for (const ref of [`${repo}:a`, `${repo}:b`]) docker('rmi', '-f', ref);
  });

  it('pushes, and reads the digest the daemon recorded; the registry serves that digest', async () => {
    const ctx = fs.mkdtempSync(path.join(temp, 'ctx-'));
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM debian:bookworm-slim\nCOPY stamp /stamp\n');
    fs.writeFileSync(path.join(ctx, 'stamp'), `${process.pid} ${Date.now()}\n`);
    const id = await build({ file: path.join(ctx, 'Dockerfile'), context: ctx, tags: [`${repo}:a`], labels: {}, buildArgs: {} }, temp, { silent: true });
    await tag(`${repo}:a`, `${repo}:b`);
    const opts = { retries: 1, timeoutMs: 120_000 };
    await login(process.env.REGISTRY!, process.env.REGISTRY_USER!, process.env.REGISTRY_PASSWORD!, opts);
    try {
      await push(`${repo}:a`, opts);
      await push(`${repo}:b`, opts);
      const digest = await pushedDigest(`${repo}:b`, repo);
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      docker('rmi', '-f', `${repo}:a`, `${repo}:b`);
      docker('pull', `${repo}@${digest}`);
      expect(docker('image', 'inspect', '--format', '{{.Id}}', `${repo}@${digest}`)).toBe(id);
      docker('rmi', '-f', `${repo}@${digest}`);
    } finally {
      await logout(process.env.REGISTRY!);
    }
  });
});

describe('docker: swarm services and stacks', () => {
  const stack = `tk${process.pid}`;
  const image2 = `drover-toolkit-swarm:${process.pid}`;
  const unhealthy = `drover-toolkit-unhealthy:${process.pid}`;
  afterAll(async () => {
    await stackRemove(stack, { deadline: Date.now() + 60_000 }).catch(() => undefined); // waits for its tasks and network
    docker('rmi', '-f', image2, unhealthy);
  });

  it('deploys a stack, updates a service rolling, and rolls it back', async () => {
    expect(await swarmState()).toBe('active');
    const file = path.join(temp, 'stack.yml');
    fs.writeFileSync(
      file,
      [
        'version: "3.8"',
        'services:',
        '  app:',
        '    image: debian:bookworm-slim',
        '    command: ["sleep", "infinity"]',
        '    deploy: { replicas: 2, labels: { io.rancher.scheduler.global: "true" } }',
        '',
      ].join('\n'),
    );
    await stackDeploy(stack, [file], { silent: true });
    const service = `${stack}_app`;
    expect(await stackServices(stack)).toEqual([service]);
    const running = async (image: string) => {
      const tasks = (await serviceTasks(service)).filter((t) => t.DesiredState === 'Running');
      return tasks.length === 2 && tasks.every((t) => t.CurrentState.startsWith('Running') && t.Image.startsWith(image)) ? tasks : undefined;
    };
    await until('two tasks running', () => running('debian:bookworm-slim'));
    expect((await inspectService(service))?.Spec.Labels?.['io.rancher.scheduler.global']).toBe('true');

    docker('tag', 'debian:bookworm-slim', image2);
    await updateService(service, { image: image2, parallelism: 1, delaySeconds: 0, order: 'start-first', failureAction: 'rollback', monitorSeconds: 1 });
    await until('the update to converge', () => running(image2), 90_000);
    const updated = await inspectService(service);
    expect(updated?.Spec.TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${image2}`));
    expect(updated?.Spec.UpdateConfig).toMatchObject({ Parallelism: 1, Order: 'start-first', FailureAction: 'rollback' });
    expect(updated?.PreviousSpec?.TaskTemplate.ContainerSpec.Image).toMatch(/^debian:bookworm-slim/);

    await rollbackService(service);
    await until('the rollback to converge', () => running('debian:bookworm-slim'), 90_000);
    expect((await inspectService(service))?.Spec.TaskTemplate.ContainerSpec.Image).toMatch(/^debian:bookworm-slim/);
  });

  it('waits for an update to settle: an unhealthy image is rolled back by swarm, and the wait says so', async () => {
    const service = `${stack}_app`;
    execFileSync('docker', ['build', '-q', '-t', unhealthy, '-'], { input: 'FROM debian:bookworm-slim\nHEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD false\n', stdio: ['pipe', 'ignore', 'inherit'] });
    const before = (await inspectService(service))?.UpdateStatus?.StartedAt;
    await updateService(service, { image: unhealthy, parallelism: 1, delaySeconds: 0, order: 'start-first', failureAction: 'rollback', monitorSeconds: 5 });
    const outcome = await waitForUpdate(service, before, { timeoutMs: 120_000 });
    expect(outcome.state).toBe('rollback_completed');
    expect((await inspectService(service))?.Spec.TaskTemplate.ContainerSpec.Image).toMatch(/^debian:bookworm-slim/);
    expect((await serviceTasks(service)).filter((t) => t.DesiredState === 'Running').every((t) => t.Image.startsWith('debian:bookworm-slim'))).toBe(true);

    const settled = (await inspectService(service))?.UpdateStatus?.StartedAt;
    expect(await waitForUpdate(service, settled, { timeoutMs: 1_000, fallbackMs: 200 })).toMatchObject({ state: 'timeout' });
  });
});

describe('compose: interpolate() against Compose itself', () => {
  it('gives what `docker compose config` gives on every case', () => {
    const yaml = `services:\n  s:\n    image: busybox\n    environment:\n${INTERPOLATION_CASES.map(([text], i) => `      V${i}: '${text}'`).join('\n')}\n`;
    const out = execFileSync('docker', ['compose', '-p', `interp${process.pid}`, '-f', '-', 'config', '--format', 'json'], {
      input: yaml,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...INTERPOLATION_VARS },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const env = (JSON.parse(out) as { services: { s: { environment: Record<string, string> } } }).services.s.environment;
    // `config` writes a literal $ as $$ again, so that its output reads back the same
    const compose = INTERPOLATION_CASES.map(([text], i) => [text, (env[`V${i}`] ?? '').replace(/\$\$/g, '$')] as const);
    expect(compose).toEqual(INTERPOLATION_CASES.map(([text]) => [text, interpolate(text, INTERPOLATION_VARS)] as const));
  });
});

describe('the test bed', () => {
  it("keeps the registry's credentials, its password file and the variables file root's alone (0600)", () => {
    const dir = process.env.DROVER_TESTBED ?? TESTBED_DIR;
    for (const file of ['registry/credentials', 'registry/htpasswd', 'env']) {
      const st = fs.statSync(path.join(dir, file));
      expect((st.mode & 0o777).toString(8), file).toBe('600');
      expect(st.uid, file).toBe(0);
    }
  });
});

/** push-image through the runner harness, against the real password-protected registry. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Job, type StepResult } from '../../scripts/harness';
import { docker } from '../support/testbed';
import { startFaultProxy } from '../support/fault-proxy';

const REGISTRY = process.env.REGISTRY!;
const USER = process.env.REGISTRY_USER!;
const PASSWORD = process.env.REGISTRY_PASSWORD!;
const repo = `${REGISTRY}/e2e/svc-${process.pid}`;
const login = { username: USER, password: PASSWORD };

async function registryTags(repository: string): Promise<string[]> {
  const [host, ...name] = repository.split('/');
  const res = await fetch(`http://${host}/v2/${name.join('/')}/tags/list`, {
    headers: { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` },
  });
  if (res.status === 404) return [];
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}

/** The password must appear nowhere the runner shows or keeps, except the ::add-mask:: command it consumes. */
function expectNoSecret(step: StepResult) {
  const log = step.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
  for (const [where, text] of Object.entries({ log, stderr: step.stderr, ...step.files })) expect(text.includes(PASSWORD), where).toBe(false);
}

describe('push-image', () => {
  const job = new Job();
  const env = { GITHUB_REF: 'refs/heads/develop', GITHUB_RUN_NUMBER: '17' };
  beforeAll(() => {
    fs.mkdirSync(path.join(job.workspace, 'svc'));
    fs.writeFileSync(path.join(job.workspace, 'svc/Dockerfile'), 'FROM debian:bookworm-slim\nCOPY build.txt /build.txt\nCMD ["cat", "/build.txt"]\n');
    fs.writeFileSync(path.join(job.workspace, 'svc/build.txt'), `build ${process.pid} ${Date.now()}\n`);
    job.chown(job.workspace);
  });
  afterAll(() => {
    job.cleanup();
    const ids = docker('images', '-q', '--filter', `label=org.opencontainers.image.title=svc-e2e-${process.pid}`).split('\n').filter(Boolean);
    if (ids.length) docker('rmi', '-f', ...new Set(ids));
  });

  it('pushes a develop build as develop and develop-<run>, with a digest that pulls the same image', async () => {
    const step = await job.run('push-image', { with: { images: repo, context: 'svc', labels: `org.opencontainers.image.title=svc-e2e-${process.pid}`, ...login }, env });
    expect(step.errors).toEqual([]);
    expect(step.exitCode).toBe(0);
    expect(step.outputs.tags!.split('\n')).toEqual([`${repo}:develop`, `${repo}:develop-17`]);
    expect(step.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await registryTags(repo)).sort()).toEqual(['develop', 'develop-17']);
    const meta = JSON.parse(step.outputs.metadata!);
    expect(meta.labels['org.opencontainers.image.revision']).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(meta.labels['org.opencontainers.image.source']).toBe('https://github.com/acme/auth-service');
    expect(step.summary).toContain(`docker pull ${repo}@${step.outputs.digest}`);
    expect(step.masks).toContain(PASSWORD);
    expectNoSecret(step);

    const post = await job.post('push-image', step);
    expect(post!.exitCode).toBe(0);
    expect(post!.stdout).toContain(`Logged out of ${REGISTRY}`);
    expectNoSecret(post!);
    const config = fs.readFileSync(path.join(job.home, '.docker/config.json'), 'utf8');
    expect(JSON.parse(config).auths?.[REGISTRY]).toBeUndefined();

    docker('rmi', `${repo}:develop`, `${repo}:develop-17`);
    execFileSync('docker', ['login', REGISTRY, '-u', USER, '--password-stdin'], { input: PASSWORD, stdio: ['pipe', 'ignore', 'ignore'] });
    docker('pull', `${repo}@${step.outputs.digest}`);
    expect(docker('image', 'inspect', '--format', '{{.Id}}', `${repo}@${step.outputs.digest}`)).toBe(step.outputs['image-id']);
    docker('tag', `${repo}@${step.outputs.digest}`, `${repo}:develop`);
  });

  it('tags a release v1.2.3 five ways, and a release candidate without latest', async () => {
    const release = await job.run('push-image', { with: { images: repo, build: 'false', 'source-image': `${repo}:develop`, ...login }, env: { GITHUB_REF: 'refs/tags/v1.2.3' } });
    expect(release.exitCode).toBe(0);
    expect(release.outputs.tags!.split('\n').map((r) => r.split(':').pop())).toEqual(['v1.2.3', '1.2.3', '1.2', '1', 'latest']);
    expect(release.outputs.version).toBe('1.2.3');
    const rc = await job.run('push-image', { with: { images: repo, build: 'false', 'source-image': `${repo}:develop`, ...login }, env: { GITHUB_REF: 'refs/tags/v1.3.0-rc.1' } });
    expect(rc.exitCode).toBe(0);
    expect(rc.outputs.tags!.split('\n').map((r) => r.split(':').pop())).toEqual(['v1.3.0-rc.1', '1.3.0-rc.1']);
    expect(await registryTags(repo)).toEqual(expect.arrayContaining(['v1.2.3', '1.2.3', '1.2', '1', 'latest', 'v1.3.0-rc.1', '1.3.0-rc.1']));
    expect(rc.outputs.digest).toBe(release.outputs.digest);
    expectNoSecret(release);
    expectNoSecret(rc);
  });

  it('logs in to several registries from registry-auth, pushes to each, and logs out of each', async () => {
    const port = REGISTRY.split(':')[1];
    const images = [`127.0.0.1:${port}/e2e/multi-${process.pid}`, `localhost:${port}/e2e/multi-${process.pid}`];
    const auth = images.map((i) => `- registry: ${i.split('/')[0]}\n  username: ${USER}\n  password: ${PASSWORD}`).join('\n');
    const step = await job.run('push-image', { with: { images: images.join('\n'), build: 'false', 'source-image': `${repo}:develop`, tags: 'multi', 'run-number-branches': '', 'registry-auth': auth }, env });
    expect(step.errors).toEqual([]);
    expect(step.exitCode).toBe(0);
    expect(step.stdout).toContain(`Logged in to 127.0.0.1:${port} as ${USER}`);
    expect(step.stdout).toContain(`Logged in to localhost:${port} as ${USER}`);
    expect(step.outputs.tags!.split('\n')).toEqual([`${images[0]}:develop`, `${images[0]}:multi`, `${images[1]}:develop`, `${images[1]}:multi`]);
    expect((await registryTags(images[0]!)).sort()).toEqual(['develop', 'multi']);
    expectNoSecret(step);
    const post = await job.post('push-image', step);
    expect(post!.stdout).toContain(`Logged out of 127.0.0.1:${port}`);
    expect(post!.stdout).toContain(`Logged out of localhost:${port}`);
    docker('rmi', ...step.outputs.tags!.split('\n'));
  });

  it('builds and loads only with push: false', async () => {
    const step = await job.run('push-image', { with: { images: `${repo}-local`, context: 'svc', push: 'false' }, env });
    expect(step.exitCode).toBe(0);
    expect(step.outputs.digest).toBe('');
    expect(docker('image', 'inspect', '--format', '{{.Id}}', `${repo}-local:develop`)).toBe(step.outputs['image-id']);
    docker('rmi', `${repo}-local:develop`, `${repo}-local:develop-17`);
  });

  it('fails at once on a wrong password, without retrying, and never shows it', async () => {
    const wrong = `wrong-${PASSWORD.slice(0, 6)}-password`;
    const step = await job.run('push-image', { with: { images: repo, build: 'false', 'source-image': `${repo}:develop`, username: USER, password: wrong }, env });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(/Login to 127\.0\.0\.1:\d+ as drover was refused: .*401 Unauthorized.*check the username and password/);
    expect(step.stdout).not.toContain('retrying');
    expect(step.stdout).not.toMatch(/attempt \d of/);
    const log = step.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
    expect(log).not.toContain(wrong);
  });

  it('retries a registry that answers 503 twice, then pushes', async () => {
    const proxy = await startFaultProxy(REGISTRY, 2);
    try {
      const flaky = `127.0.0.1:${proxy.port}/e2e/flaky-${process.pid}`;
      const step = await job.run('push-image', { with: { images: flaky, build: 'false', 'source-image': `${repo}:develop`, tags: 'one', 'run-number-branches': '', ...login }, env });
      expect(step.errors).toEqual([]);
      expect(step.exitCode).toBe(0);
      expect(proxy.injected).toBe(2);
      const retries = step.stdout.split('\n').filter((l) => /^Push of 127\.0\.0\.1:\d+\/e2e\/flaky-\d+:\w+ failed \(attempt \d of 4\): .*503.*; retrying$/.test(l));
      expect(retries).toHaveLength(2);
      expect(step.outputs.digest).toMatch(/^sha256:/);
      expectNoSecret(step);
      await job.post('push-image', step);
    } finally {
      await proxy.close();
    }
  });

  it('gives up on a registry that is down after its retries', async () => {
    const step = await job.run('push-image', { with: { images: '127.0.0.1:9/e2e/down', build: 'false', 'source-image': `${repo}:develop`, retries: '2' }, env });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(/Push of 127\.0\.0\.1:9\/e2e\/down:develop(-17)? failed: .*connection refused/);
    // each tag's push: attempts 1 and 2 retried, the third the step's error; no fourth
    expect(new Set(step.stdout.match(/failed \(attempt \d of \d\)/g))).toEqual(new Set(['failed (attempt 1 of 3)', 'failed (attempt 2 of 3)']));
  });

  describe('bad inputs fail before anything is built', () => {
    it.each([
      ['images', { images: `${REGISTRY}/Acme/Service` }],
      ['images', { images: `${REGISTRY}/acme/my service` }],
      ['tags', { images: repo, tags: 'x'.repeat(129) }],
      ['tags', { images: repo, tags: 'ok;rm -rf /' }],
      ['password', { images: repo, username: USER }],
      ['latest', { images: repo, latest: 'sometimes' }],
      ['registry-auth', { images: repo, 'registry-auth': '- registry: 127.0.0.1:5000\n  username: someone' }],
    ])('%s', async (name, inputs) => {
      const step = await job.run('push-image', { with: { context: 'svc', ...inputs }, env });
      expect(step.exitCode).toBe(1);
      expect(step.errors[0]).toMatch(new RegExp(`^Input '${name}' is invalid: `));
      expect(step.stdout).not.toContain('::group::Build');
    });
  });
});

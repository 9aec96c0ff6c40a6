/** setup-builder through the runner harness, under Node 24, against the real Docker engine. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Job, RUNNER_UID } from '../../scripts/harness';
import { startForwardProxy, startReleaseServer, type ReleaseServer } from '../support/release-server';
import { containersCreatedSince, copyExample, docker, filesNotOwnedBy } from '../support/testbed';

const CA = '/etc/ssl/certs/ca-certificates.crt';
const tag = `auth-builder:e2e-${process.pid}`;
const builderInputs = { dockerfile: 'builder/Dockerfile', image: tag, 'ca-bundle': CA };

describe('setup-builder', () => {
  const job = new Job();
  beforeAll(() => {
    copyExample('auth-service', job.workspace);
    job.chown(job.workspace);
  });
  afterAll(() => {
    job.cleanup();
    try {
      docker('rmi', '-f', tag);
    } catch {
      /* already gone */
    }
  });

  it('builds and unit-tests the example inside its builder, as the runner user', async () => {
    const step = await job.run('setup-builder', { with: builderInputs });
    expect(step.errors).toEqual([]);
    expect(step.exitCode).toBe(0);
    expect(step.outputs.built).toBe('true');
    expect(step.outputs.image).toBe(tag);
    expect(step.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(step.outputs['exit-code']).toBe('0');
    expect(Number(step.outputs.duration)).toBeGreaterThan(0);
    expect(step.stdout).toMatch(/# pass 3/);
    expect(step.stdout).toContain('Build successful');
    expect(step.summary).toContain(tag);
    expect(fs.statSync(path.join(job.workspace, 'dist/auth-service.cjs')).size).toBeGreaterThan(1000);
    expect(filesNotOwnedBy(job.workspace, RUNNER_UID)).toEqual([]);
    expect(docker('ps', '-aq', '--filter', 'label=io.drover.action=setup-builder', '--filter', `name=drover-builder-${job.runId}-`)).toBe('');
  });

  it('reuses the builder while its Dockerfile is unchanged, and rebuilds it once after a change', async () => {
    const again = await job.run('setup-builder', { with: { ...builderInputs, run: 'true' } });
    expect(again.exitCode).toBe(0);
    expect(again.outputs.built).toBe('false');
    expect(again.stdout).toContain(`Reusing builder ${tag}`);

    const dockerfile = path.join(job.workspace, 'builder/Dockerfile');
    fs.appendFileSync(dockerfile, 'ENV BUILDER_REVISION=2\n');
    const changed = await job.run('setup-builder', { with: { ...builderInputs, run: 'test "$BUILDER_REVISION" = 2' } });
    expect(changed.exitCode).toBe(0);
    expect(changed.outputs.built).toBe('true');
    expect(changed.outputs.digest).not.toBe(again.outputs.digest);
    const unchanged = await job.run('setup-builder', { with: { ...builderInputs, run: 'true' } });
    expect(unchanged.outputs.built).toBe('false');
    expect(unchanged.outputs.digest).toBe(changed.outputs.digest);
  });

  it('fails the step with the script exit code and the failing test in the error', async () => {
    const testFile = path.join(job.workspace, 'test/users.test.ts');
    const original = fs.readFileSync(testFile, 'utf8');
    fs.writeFileSync(testFile, original.replace('assert.equal(await verifyPassword("wrong", hash), false);', 'assert.equal(await verifyPassword("wrong", hash), true, "deliberately failing unit test");'));
    try {
      const step = await job.run('setup-builder', { with: builderInputs });
      expect(step.exitCode).toBe(1);
      expect(step.outputs['exit-code']).toBe('1');
      expect(step.errors).toHaveLength(1);
      expect(step.errors[0]).toContain(`The build in ${tag} failed (exit code 1)`);
      expect(step.errors[0]).toContain('deliberately failing unit test');
    } finally {
      fs.writeFileSync(testFile, original);
    }
  });

  it('passes on a script exit code, env values and mounts, and trusts a CA bundle', async () => {
    fs.mkdirSync(path.join(job.workspace, 'extra'), { recursive: true });
    fs.writeFileSync(path.join(job.workspace, 'extra/data.txt'), 'mounted');
    job.chown(job.workspace);
    const step = await job.run('setup-builder', {
      with: {
        ...builderInputs,
        env: 'GREETING=hello world\nEMPTY=',
        mounts: 'extra:/data:ro',
        run: 'test "$GREETING" = "hello world"; test "$(cat /data/data.txt)" = mounted; test -s "$NODE_EXTRA_CA_CERTS"; test "$(id -u)" = 1001; exit 7',
      },
    });
    expect(step.exitCode).toBe(7);
    expect(step.outputs['exit-code']).toBe('7');
  });

  it('gives env and build-args keys to the container and the build only: none redirects the docker CLI', async () => {
    // A docker config whose current context is a daemon that does not exist: the CLI must never read it.
    const trap = path.join(job.dir, 'trap-config');
    fs.mkdirSync(path.join(trap, 'contexts/meta/x'), { recursive: true });
    fs.writeFileSync(path.join(trap, 'config.json'), JSON.stringify({ currentContext: 'trap' }));
    job.chown(job.dir);
    const redirect = 'DOCKER_HOST=tcp://127.0.0.1:1\nDOCKER_CONTEXT=trap\nDOCKER_CONFIG=' + trap + '\nBUILDX_BUILDER=trap\nHOME=/nonexistent';
    fs.writeFileSync(path.join(job.workspace, 'builder/Dockerfile.args'), 'FROM debian:bookworm-slim\nARG DOCKER_HOST\nRUN test "$DOCKER_HOST" = tcp://127.0.0.1:1\n');
    job.chown(job.workspace);
    const step = await job.run('setup-builder', {
      with: {
        dockerfile: 'builder/Dockerfile.args',
        'build-args': redirect,
        env: redirect,
        run: 'test "$DOCKER_HOST" = tcp://127.0.0.1:1; test "$DOCKER_CONTEXT" = trap; test "$HOME" = /nonexistent; echo container-saw-them',
      },
    });
    expect(step.errors).toEqual([]);
    expect(step.exitCode).toBe(0);
    expect(step.stdout).toContain('container-saw-them');
    docker('rmi', '-f', step.outputs.image!);
  });

  it('removes its container when the job is cancelled', async () => {
    const step = await job.run('setup-builder', { with: { ...builderInputs, run: 'sleep 120' }, signalAfterMs: ['SIGINT', 4000] });
    expect(step.exitCode).not.toBe(0);
    expect(step.errors[0]).toContain('failed (cancelled)');
    expect(docker('ps', '-aq', '--filter', `label=io.drover.run=${JSON.parse(step.state.run!)}`)).toBe('');
    const post = await job.post('setup-builder', step);
    expect(post?.exitCode).toBe(0);
    expect(docker('ps', '-aq', '--filter', `label=io.drover.run=${JSON.parse(step.state.run!)}`)).toBe('');
  });

  describe('bad inputs fail at once, naming the input, and start no container', () => {
    it.each([
      ['image', { image: 'builder;rm -rf /' }],
      ['image', { image: 'builder:$(id)' }],
      ['env', { image: tag, env: 'A=first\nsecond line' }],
      ['source-path', { image: tag, 'source-path': '/src/../etc' }],
      ['workspace', { image: tag, workspace: '../outside' }],
      ['dockerfile', { dockerfile: '../../etc/Dockerfile' }],
      ['pull', { image: tag, pull: 'sometimes' }],
      ['imagee', { image: tag, imagee: 'typo' }],
    ])('%s', async (name, inputs) => {
      const since = docker('version', '--format', '{{.Server.Os}}') && new Date(Date.now() - 1000).toISOString();
      const step = await job.run('setup-builder', { with: inputs as Record<string, string> });
      expect(step.exitCode).toBe(1);
      expect(step.errors).toHaveLength(1);
      expect(step.errors[0]).toMatch(new RegExp(`^Input '${name}' is invalid: .*; expected .+$`));
      expect(step.errors[0]).not.toContain('\n');
      expect(containersCreatedSince(since, job)).toEqual([]);
    });
  });
});

describe('setup-builder on a runner without buildx', () => {
  const job = new Job({ plugins: false });
  const buildx = () => fs.readFileSync(path.join(process.env.DROVER_CLI_PLUGINS!, 'docker-buildx'));
  let release: ReleaseServer;
  beforeAll(async () => {
    const files = { 'buildx-v0.13.1.linux-amd64': buildx(), 'tampered.linux-amd64': Buffer.concat([buildx(), Buffer.from('x')]) };
    release = await startReleaseServer(files, { ...files, 'tampered.linux-amd64': buildx() });
    fs.mkdirSync(path.join(job.workspace, 'b'));
    fs.writeFileSync(path.join(job.workspace, 'b/Dockerfile'), `FROM debian:bookworm-slim\nLABEL test.run=${process.pid}-${Date.now()}\n`);
    job.chown(job.workspace);
  });
  const images = new Set<string>();
  afterAll(() => {
    release.close();
    job.cleanup();
    if (images.size) docker('rmi', '-f', ...images);
  });
  const downloads = () => release.requests.filter((r) => !r.endsWith('checksums.txt')).length;
  const run = async (version: string, url: string, env: Record<string, string> = {}) => {
    const step = await job.run('setup-builder', { with: { dockerfile: 'b/Dockerfile', run: 'true', 'buildx-version': version, 'buildx-url': url }, env: { NODE_EXTRA_CA_CERTS: release.caFile, ...env } });
    if (step.outputs.image) images.add(step.outputs.image);
    return step;
  };

  it('installs buildx into the tool cache with the runner layout, once, after checking its sha256', async () => {
    const step = await run('0.13.1', release.url('buildx-v0.13.1.linux-amd64'));
    expect(step.errors).toEqual([]);
    expect(step.exitCode).toBe(0);
    expect(step.outputs.built).toBe('true');
    expect(fs.existsSync(path.join(job.toolCache, 'docker-buildx/0.13.1/x64/docker-buildx'))).toBe(true);
    expect(fs.existsSync(path.join(job.toolCache, 'docker-buildx/0.13.1/x64.complete'))).toBe(true);
    expect(release.requests).toEqual(['/releases/v1/buildx-v0.13.1.linux-amd64', '/releases/v1/checksums.txt']);
    fs.rmSync(path.join(job.home, '.docker/cli-plugins/docker-buildx'));
    fs.appendFileSync(path.join(job.workspace, 'b/Dockerfile'), 'ENV REBUILD=1\n');
    const second = await run('0.13.1', release.url('buildx-v0.13.1.linux-amd64'));
    expect(second.exitCode).toBe(0);
    expect(downloads()).toBe(1);
    fs.rmSync(path.join(job.home, '.docker/cli-plugins/docker-buildx'));
  });

  it('refuses a binary whose sha256 the release does not list, and caches nothing', async () => {
    fs.appendFileSync(path.join(job.workspace, 'b/Dockerfile'), 'ENV TAMPERED=1\n');
    const step = await run('0.13.9', release.url('tampered.linux-amd64'));
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(/^docker buildx from https:\/\/127\.0\.0\.1:\d+\/releases\/v1\/tampered\.linux-amd64 has sha256 [0-9a-f]{64}, but the release lists [0-9a-f]{64}: not installed$/);
    expect(fs.existsSync(path.join(job.toolCache, 'docker-buildx/0.13.9'))).toBe(false);
    expect(fs.existsSync(path.join(job.home, '.docker/cli-plugins/docker-buildx'))).toBe(false);
  });

  it('refuses a plain http:// URL before downloading anything', async () => {
    const before = release.requests.length;
    const step = await run('0.13.8', release.url('buildx-v0.13.1.linux-amd64').replace('https:', 'http:'));
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(/^Input 'buildx-url' is invalid: .*; expected an https URL$/);
    expect(release.requests.length).toBe(before);
  });

  it('downloads through the runner\'s HTTPS_PROXY, and straight when NO_PROXY names the host', async () => {
    const proxy = await startForwardProxy();
    fs.appendFileSync(path.join(job.workspace, 'b/Dockerfile'), 'ENV PROXIED=1\n');
    try {
      const url = release.url('buildx-v0.13.1.linux-amd64');
      const port = new URL(url).port;
      const step = await run('0.13.2', url, { HTTPS_PROXY: proxy.url });
      expect(step.errors).toEqual([]);
      const proxied = proxy.connections();
      expect(proxied.length).toBeGreaterThan(0);
      expect(new Set(proxied)).toEqual(new Set([`127.0.0.1:${port}`]));
      const sums = release.requests.filter((r) => r.endsWith('checksums.txt')).length;
      fs.rmSync(path.join(job.home, '.docker/cli-plugins/docker-buildx'));
      fs.appendFileSync(path.join(job.workspace, 'b/Dockerfile'), 'ENV DIRECT=1\n');
      const direct = await run('0.13.3', url, { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
      expect(direct.errors).toEqual([]);
      expect(proxy.connections()).toHaveLength(proxied.length);
      expect(release.requests.filter((r) => r.endsWith('checksums.txt'))).toHaveLength(sums + 1);
    } finally {
      proxy.close();
    }
  });
});

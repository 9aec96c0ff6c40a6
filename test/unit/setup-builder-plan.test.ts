import { describe, expect, it } from 'vitest';
import { builderBuild, builderHash, builderTag, buildContainer, CA_PATH, type Job } from '../../actions/setup-builder/src/plan';
import { bakeDefinition, runArgv } from '../../actions/shared/docker';

const job: Job = {
  script: '',
  workspace: '/ws',
  sourcePath: '/workspace',
  env: { TOKEN: 'secret-value' },
  mounts: [{ source: '/ws/cache', target: '/cache', readonly: true }],
  caBundle: '/etc/ssl/certs/ca-certificates.crt',
  user: '',
};
const ctx = { image: 'auth-builder:1.0', containerName: 'drover-builder-1', runId: '1', uid: 1001, gid: 118 };

describe('setup-builder plan', () => {
  it('runs as the runner user with the workspace mounted at the source path, removed when done', () => {
    const spec = buildContainer(job, ctx);
    expect(spec).toMatchObject({ image: 'auth-builder:1.0', user: '1001:118', workdir: '/workspace', ephemeral: true, name: 'drover-builder-1' });
    expect(spec.volumes).toContain('/ws:/workspace');
    expect(spec.labels).toEqual({ 'io.drover.action': 'setup-builder', 'io.drover.run': '1' });
    const args = runArgv(spec, '/tmp/x/env');
    expect(args.slice(0, 3)).toEqual(['run', '--rm', '--init']);
    expect(args.at(-1)).toBe('auth-builder:1.0');
  });

  it('gives environment values to the container through an env file, never argv', () => {
    const spec = buildContainer(job, ctx);
    expect(spec.env).toMatchObject({ TOKEN: 'secret-value', SOURCE_PATH: '/workspace', HOME: '/tmp/home', CI: 'true' });
    const args = runArgv(spec, '/tmp/x/env');
    expect(args.join(' ')).not.toContain('secret-value');
    expect(args.join(' ')).not.toContain('TOKEN');
    expect(args.join(' ')).toContain('--env-file /tmp/x/env');
  });

  it('mounts a CA bundle read-only and points common tools at it', () => {
    const spec = buildContainer(job, ctx);
    expect(spec.volumes).toContain(`/etc/ssl/certs/ca-certificates.crt:${CA_PATH}:ro`);
    expect(spec.env?.NODE_EXTRA_CA_CERTS).toBe(CA_PATH);
    expect(spec.env?.npm_config_cafile).toBe(CA_PATH);
    expect(spec.volumes).toContain('/ws/cache:/cache:ro');
  });

  it('runs a script with sh -e -c in place of the entrypoint, and honours an explicit user', () => {
    const spec = buildContainer({ ...job, script: 'npm test', user: 'root' }, ctx);
    expect(runArgv(spec).slice(-6)).toEqual(['--entrypoint', 'sh', 'auth-builder:1.0', '-e', '-c', 'npm test']);
    expect(spec.user).toBe('root');
  });

  it('hashes the Dockerfile, its context and build args', () => {
    const df = Buffer.from('FROM debian:bookworm-slim\n');
    const files = [{ path: 'compile.sh', content: Buffer.from('echo 1') }];
    const h = builderHash(df, files, {});
    expect(builderHash(df, [...files].reverse(), {})).toBe(h);
    expect(builderHash(Buffer.from('FROM debian:bookworm\n'), files, {})).not.toBe(h);
    expect(builderHash(df, [{ path: 'compile.sh', content: Buffer.from('echo 2') }], {})).not.toBe(h);
    expect(builderHash(df, files, { V: '1' })).not.toBe(h);
    expect(builderTag({ image: '' }, h)).toBe(`drover-builder:${h.slice(0, 12)}`);
    expect(builderTag({ image: 'auth-builder:1.0' }, h)).toBe('auth-builder:1.0');
  });

  it('builds the builder labelled with its hash, build args in the bake file', () => {
    const spec = builderBuild({ image: '', dockerfile: '/ws/builder/Dockerfile', context: '/ws/builder', buildArgs: { NODE_MAJOR: '20' } }, 'b:1', 'abc');
    expect(bakeDefinition(spec).target.build).toEqual({
      context: '/ws/builder', dockerfile: '/ws/builder/Dockerfile', tags: ['b:1'], labels: { 'io.drover.builder.hash': 'abc' }, args: { NODE_MAJOR: '20' }, output: ['type=docker'],
    });
  });
});

import { describe, expect, it } from 'vitest';
import { buildArgs, builderHash, builderTag, runArgs, CA_PATH } from '../../actions/setup-builder/src/plan';
import type { Config } from '../../actions/setup-builder/src/config';

const cfg: Config = {
  image: '',
  dockerfile: '/ws/builder/Dockerfile',
  context: '/ws/builder',
  buildArgs: {},
  run: '',
  workspace: '/ws',
  sourcePath: '/workspace',
  env: { TOKEN: 'secret-value' },
  mounts: [{ source: '/ws/cache', target: '/cache', readonly: true }],
  caBundle: '/etc/ssl/certs/ca-certificates.crt',
  user: '',
  pull: 'missing',
  timeoutMinutes: 60,
  buildxVersion: '0.19.3',
  buildxUrl: '',
};
const ctx = { image: 'auth-builder:1.0', containerName: 'drover-builder-1', runId: '1', uid: 1001, gid: 118 };

describe('setup-builder plan', () => {
  it('runs as the runner user with the workspace mounted at the source path', () => {
    const { args } = runArgs(cfg, ctx);
    expect(args.slice(0, 3)).toEqual(['run', '--rm', '--init']);
    expect(args).toContain('1001:118');
    expect(args).toContain('/ws:/workspace');
    expect(args.at(-1)).toBe('auth-builder:1.0');
    expect(args.join(' ')).toContain('--workdir /workspace');
  });

  it('passes environment values through the CLI environment, never argv', () => {
    const { args, env } = runArgs(cfg, ctx);
    expect(args.join(' ')).not.toContain('secret-value');
    expect(args).toContain('TOKEN');
    expect(env.TOKEN).toBe('secret-value');
    expect(env.SOURCE_PATH).toBe('/workspace');
  });

  it('mounts a CA bundle read-only and points common tools at it', () => {
    const { args, env } = runArgs(cfg, ctx);
    expect(args).toContain(`/etc/ssl/certs/ca-certificates.crt:${CA_PATH}:ro`);
    expect(env.NODE_EXTRA_CA_CERTS).toBe(CA_PATH);
    expect(env.npm_config_cafile).toBe(CA_PATH);
    expect(args).toContain('/ws/cache:/cache:ro');
  });

  it('runs a script with sh -e -c in place of the entrypoint, and honours an explicit user', () => {
    const { args } = runArgs({ ...cfg, run: 'npm test', user: 'root' }, ctx);
    expect(args.slice(-6)).toEqual(['--entrypoint', 'sh', 'auth-builder:1.0', '-e', '-c', 'npm test']);
    expect(args).toContain('root');
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

  it('builds with buildx, labelled with the hash, build arg values kept off argv', () => {
    const args = buildArgs({ ...cfg, buildArgs: { NODE_MAJOR: '20' } }, 'b:1', 'abc');
    expect(args).toEqual(['buildx', 'build', '--load', '--file', '/ws/builder/Dockerfile', '--tag', 'b:1', '--label', 'io.drover.builder.hash=abc', '--build-arg', 'NODE_MAJOR', '/ws/builder']);
  });
});

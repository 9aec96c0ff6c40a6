import { describe, expect, it } from 'vitest';
import { buildCommand, imageRefs, ociLabels } from '../../actions/push-image/src/plan';
import { registryOf, type Config } from '../../actions/push-image/src/config';

const cfg = {
  context: '/ws/svc',
  dockerfile: '/ws/svc/Dockerfile',
  buildArgs: { TOKEN: 'secret-value' },
  target: 'runtime',
  secretFiles: { ca: '/etc/ssl/certs/ca-certificates.crt' },
  cacheFrom: ['type=registry,ref=r/x:cache'],
  cacheTo: [],
} as unknown as Config;

describe('push-image plan', () => {
  it('crosses every image with every tag', () => {
    expect(imageRefs(['r/a', 'q/a'], ['1', '2'])).toEqual(['r/a:1', 'r/a:2', 'q/a:1', 'q/a:2']);
  });

  it('builds with tags, labels, target, secrets and cache, build arg values off argv', () => {
    const cmd = buildCommand(cfg, ['r/a:1'], { 'org.opencontainers.image.version': '1' }, '/tmp/iid');
    expect(cmd.args).toEqual([
      'build', '--iidfile', '/tmp/iid', '--file', '/ws/svc/Dockerfile', '--tag', 'r/a:1', '--label', 'org.opencontainers.image.version=1',
      '--target', 'runtime', '--build-arg', 'TOKEN', '--secret', 'id=ca,src=/etc/ssl/certs/ca-certificates.crt', '--cache-from', 'type=registry,ref=r/x:cache', '/ws/svc',
    ]);
    expect(cmd.args.join(' ')).not.toContain('secret-value');
    expect(cmd.env.TOKEN).toBe('secret-value');
  });

  it('labels the image from the Git context; explicit labels win', () => {
    const ctx = { eventName: 'push', ref: 'refs/tags/v1.2.3', sha: 'abc', runNumber: '1', repository: 'acme/auth-service', serverUrl: 'https://github.com', defaultBranch: 'main' };
    const labels = ociLabels(ctx, '1.2.3', new Date(0), { 'org.opencontainers.image.title': 'Auth' });
    expect(labels).toEqual({
      'org.opencontainers.image.title': 'Auth',
      'org.opencontainers.image.source': 'https://github.com/acme/auth-service',
      'org.opencontainers.image.url': 'https://github.com/acme/auth-service',
      'org.opencontainers.image.revision': 'abc',
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.created': '1970-01-01T00:00:00.000Z',
    });
  });

  it('finds the registry of a repository as docker does', () => {
    expect(registryOf('127.0.0.1:5000/acme/a')).toBe('127.0.0.1:5000');
    expect(registryOf('ghcr.io/acme/a')).toBe('ghcr.io');
    expect(registryOf('localhost/a')).toBe('localhost');
    expect(registryOf('acme/a')).toBe('docker.io');
    expect(registryOf('a')).toBe('docker.io');
  });
});

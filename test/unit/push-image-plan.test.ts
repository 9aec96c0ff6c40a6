import { describe, expect, it } from 'vitest';
import { buildSpec, imageRefs, ociLabels, planImage, type BuildSource } from '../../actions/push-image/src/plan';
import { registryOf } from '../../actions/shared/image-ref';
import type { TagOptions } from '../../actions/push-image/src/tags';
import { bakeDefinition, classicBuildArgv } from '../../actions/shared/docker';

const source: BuildSource = {
  context: '/ws/svc',
  dockerfile: '/ws/svc/Dockerfile',
  buildArgs: { TOKEN: 'secret-value' },
  target: 'runtime',
  secretFiles: { ca: '/etc/ssl/certs/ca-certificates.crt' },
  cacheFrom: ['type=registry,ref=r/x:cache'],
  cacheTo: [],
};

describe('push-image plan', () => {
  it('crosses every image with every tag', () => {
    expect(imageRefs(['r/a', 'q/a'], ['1', '2'])).toEqual(['r/a:1', 'r/a:2', 'q/a:1', 'q/a:2']);
  });

  it('builds with tags, labels, target, secrets and cache, build arg values off argv', () => {
    const spec = buildSpec(source, ['r/a:1'], { 'org.opencontainers.image.version': '1' });
    expect(bakeDefinition(spec)).toEqual({
      target: {
        build: {
          context: '/ws/svc',
          dockerfile: '/ws/svc/Dockerfile',
          tags: ['r/a:1'],
          labels: { 'org.opencontainers.image.version': '1' },
          args: { TOKEN: 'secret-value' },
          output: ['type=docker'],
          target: 'runtime',
          secret: ['id=ca,src=/etc/ssl/certs/ca-certificates.crt'],
          'cache-from': ['type=registry,ref=r/x:cache'],
        },
      },
    });
    expect(classicBuildArgv(spec, '/tmp/iid').join(' ')).not.toContain('secret-value');
  });

  it('keeps a value a value in the bake file: HCL templates are escaped', () => {
    const spec = buildSpec({ ...source, buildArgs: { A: '${HOME} %{ if true }x%{ endif } $$ plain' } }, ['r/a:1'], { note: '${DOCKER_HOST}' });
    const build = bakeDefinition(spec).target.build as { args: Record<string, string>; labels: Record<string, string> };
    expect(build.args.A).toBe('$${HOME} %%{ if true }x%%{ endif } $$ plain');
    expect(build.labels.note).toBe('$${DOCKER_HOST}');
  });

  it('plans a build for every tag of every image, or none when an existing image is tagged', () => {
    const ctx = { eventName: 'push', ref: 'refs/heads/develop', sha: 'abc', runNumber: '7', repository: 'acme/auth-service', serverUrl: 'https://github.com', event: {} };
    const tagOptions: TagOptions = { latest: 'auto', semverAliases: true, sha: false, runNumberBranches: ['develop'], version: '', extra: [] };
    const plan = planImage({ images: ['r/a'], tagOptions: { ...tagOptions, runNumberBranches: ['develop'] }, labels: {}, build: source }, ctx, new Date(0));
    expect(plan.refs).toEqual(['r/a:develop', 'r/a:develop-7']);
    expect(plan.build?.tags).toEqual(plan.refs);
    expect(plan.build?.labels['org.opencontainers.image.version']).toBe('develop');
    expect(planImage({ images: ['r/a'], tagOptions: { ...tagOptions, runNumberBranches: [] }, labels: {} }, ctx, new Date(0)).build).toBeUndefined();
  });

  it('labels the image from the Git context; explicit labels win', () => {
    const ctx = { eventName: 'push', ref: 'refs/tags/v1.2.3', sha: 'abc', runNumber: '1', repository: 'acme/auth-service', serverUrl: 'https://github.com', event: {} };
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

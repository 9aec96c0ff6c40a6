import { describe, expect, it } from 'vitest';
import { bumpBase, bumpByPattern, bumpPackageJson, inferTagPrefix, isValidRefPart, latestRelease, nextVersion, requireNewVersion, releases, versionOfBranch } from '../../actions/git-flow-release/src/version';

describe('versions', () => {
  it('finds the latest release among version tags, ignoring pre-releases and other prefixes', () => {
    expect(latestRelease(['v1.0.0', 'v1.10.0', 'v1.9.3', 'v2.0.0-rc.1', 'other-9.0.0', 'v1.2'], 'v')).toEqual({ version: '1.10.0', tag: 'v1.10.0' });
    expect(latestRelease(['1.0.0', '1.1.0'], '')).toEqual({ version: '1.1.0', tag: '1.1.0' });
    expect(latestRelease([], 'v')).toBeUndefined();
  });

  it('counts every release tag, with or without the prefix, so a changed prefix cannot hide one', () => {
    expect(latestRelease(['v3.0.0', '1.0.0'], '')).toEqual({ version: '3.0.0', tag: 'v3.0.0' });
    expect(latestRelease(['1.1.0', 'v0.9.0'], 'v')).toEqual({ version: '1.1.0', tag: '1.1.0' });
    expect(latestRelease(['rel-2.0.0', '1.1.0'], 'rel-')).toEqual({ version: '2.0.0', tag: 'rel-2.0.0' });
    expect(releases(['x1.0.0', 'v1.0', 'v1.0.0-rc.1'], 'v')).toEqual([]);
  });

  it('takes the tag prefix the releases use when none is configured', () => {
    expect(inferTagPrefix(['1.0.0', '1.1.0'])).toBe('');
    expect(inferTagPrefix(['v1.0.0', '0.9.0'])).toBe('v');
    expect(inferTagPrefix([])).toBe('v');
  });

  it('bumps from the higher of the latest release and the VERSION file, and refuses a version not above every release', () => {
    expect(bumpBase({ version: '1.1.0', tag: '1.1.0' }, '0.1.0\n')).toBe('1.1.0');
    expect(bumpBase({ version: '1.1.0', tag: '1.1.0' }, '1.3.0\n')).toBe('1.3.0');
    expect(bumpBase(undefined, '1.3.0')).toBe('1.3.0');
    expect(bumpBase(undefined, 'not a version')).toBeUndefined();
    expect(nextVersion('minor', bumpBase({ version: '1.1.0', tag: '1.1.0' }, undefined))).toBe('1.2.0');
    expect(() => requireNewVersion('1.0.5', releases(['1.1.0', 'v1.0.0'], 'v'))).toThrow('1.0.5 is not above the release 1.1.0 (1.1.0)');
    expect(() => requireNewVersion('1.1.0', releases(['1.1.0'], 'v'))).toThrow(/not above the release 1\.1\.0/);
    expect(() => requireNewVersion('1.2.0', releases(['1.1.0'], 'v'))).not.toThrow();
  });

  it('takes a version from a branch name only when it is one', () => {
    expect(versionOfBranch('release/1.2.0', 'release/')).toBe('1.2.0');
    expect(versionOfBranch('release/v1.2.0-rc.1', 'release/')).toBe('1.2.0-rc.1');
    for (const bad of ['release/1.0.0";touch${IFS}/tmp/x;"', 'release/--edit', 'release/1.0.0 ', 'release/1.0'])
      expect(() => versionOfBranch(bad, 'release/'), bad).toThrow(/does not name a semantic version/);
  });

  it('never quotes a file that is not valid JSON', () => {
    expect(() => bumpPackageJson('{"version": "1.0.0", "token": "s3cr3t" ', '1.1.0')).toThrow('it is not valid JSON');
  });

  it.each([
    ['major', '1.4.2', '2.0.0'],
    ['minor', '1.4.2', '1.5.0'],
    ['patch', '1.4.2', '1.4.3'],
    ['patch', undefined, '0.0.1'],
    ['v3.0.0', '1.0.0', '3.0.0'],
    ['2.1.0-rc.1', undefined, '2.1.0-rc.1'],
  ])('%s after %s is %s', (spec, latest, want) => {
    expect(nextVersion(spec, latest)).toBe(want);
  });

  it('rejects what is not a version', () => {
    expect(() => nextVersion('1.2', undefined)).toThrow(/not a semantic version/);
  });

  it('bumps package.json keeping its indentation, and a lockfile root', () => {
    expect(bumpPackageJson('{\n    "name": "a",\n    "version": "1.0.0"\n}\n', '1.1.0')).toBe('{\n    "name": "a",\n    "version": "1.1.0"\n}\n');
    const lock = JSON.parse(bumpPackageJson(JSON.stringify({ version: '1.0.0', packages: { '': { version: '1.0.0' } } }), '2.0.0'));
    expect(lock.packages[''].version).toBe('2.0.0');
  });

  it('bumps by a pattern, and says when it finds nothing', () => {
    expect(bumpByPattern('name: x\nappVersion: "1.0.0"\n', /^appVersion: "?([^"\n]+)/m, '1.1.0')).toBe('name: x\nappVersion: "1.1.0"\n');
    expect(() => bumpByPattern('nothing here', /version=(\S+)/, '1.0.0')).toThrow(/no match/);
  });

  it('checks branch names and prefixes as git does', () => {
    for (const ok of ['develop', 'release/1.2.0', 'feature/a-b_c']) expect(isValidRefPart(ok), ok).toBe(true);
    for (const bad of ['ma..ster', 'my branch', 'a:b', '-x', 'x/', 'x.lock', 'a@{b', '.hidden']) expect(isValidRefPart(bad), bad).toBe(false);
    expect(isValidRefPart('release/', { prefix: true })).toBe(true);
    expect(isValidRefPart('rel ease/', { prefix: true })).toBe(false);
  });
});

describe('GitHub Release request', () => {
  it('names the tag, carries the notes and marks pre-releases', async () => {
    const { releaseRequest } = await import('../../actions/git-flow-release/src/github-release');
    expect(releaseRequest('acme/auth-service', 'v1.1.0', '1.1.0', '- Add the login form (abc1234)')).toEqual({
      owner: 'acme', repo: 'auth-service', tag_name: 'v1.1.0', name: 'v1.1.0', body: '- Add the login form (abc1234)', prerelease: false,
    });
    expect(releaseRequest('acme/auth-service', 'v2.0.0-rc.1', '2.0.0-rc.1', '').prerelease).toBe(true);
    expect(releaseRequest('acme/auth-service', 'v2.0.0', '2.0.0', '').body).toBe('Release 2.0.0');
  });
});

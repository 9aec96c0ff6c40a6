/** git-flow-release through the runner harness, against real bare remotes on disk. */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Job, RUNNER_UID } from '../../scripts/harness';

const ID = ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com'];
const GID = Number(execFileSync('getent', ['group', 'docker'], { encoding: 'utf8' }).split(':')[2]);
/** git as the runner user, who owns the remotes and clones (a teammate with access, for the remote). */
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...ID, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], uid: RUNNER_UID, gid: GID, env: { PATH: process.env.PATH, HOME: cwd } }).trim();
}

/** A bare remote with master (tagged v1.0.0) and develop one feature ahead, cloned into the job's workspace. */
function repository(job: Job): { remote: string; ws: string; other: string } {
  job.chown(job.dir);
  const remote = path.join(job.dir, 'remote.git');
  const seed = path.join(job.dir, 'seed');
  git(job.dir, 'init', '--quiet', '--bare', '--initial-branch=master', remote);
  git(job.dir, 'init', '--quiet', '--initial-branch=master', seed);
  fs.writeFileSync(path.join(seed, 'VERSION'), '1.0.0\n');
  fs.writeFileSync(path.join(seed, 'package.json'), JSON.stringify({ name: 'auth-service', version: '1.0.0' }, null, 2) + '\n');
  git(seed, 'add', '.');
  git(seed, 'commit', '--quiet', '-m', 'Initial release');
  git(seed, 'tag', '-a', 'v1.0.0', '-m', 'Release 1.0.0');
  git(seed, 'checkout', '--quiet', '-b', 'develop');
  fs.writeFileSync(path.join(seed, 'feature.txt'), 'login form\n');
  git(seed, 'add', '.');
  git(seed, 'commit', '--quiet', '-m', 'Add the login form');
  git(seed, 'remote', 'add', 'origin', remote);
  git(seed, 'push', '--quiet', 'origin', 'master', 'develop', 'v1.0.0');
  fs.rmSync(job.workspace, { recursive: true, force: true });
  git(job.dir, 'clone', '--quiet', '--branch', 'develop', remote, job.workspace);
  const other = path.join(job.dir, 'other');
  git(job.dir, 'clone', '--quiet', remote, other);
  job.chown(job.dir);
  return { remote, ws: job.workspace, other };
}

const refs = (repo: string) => git(repo, 'for-each-ref', '--format=%(refname) %(objectname)');
const remoteRefs = (remote: string) => git(remote, 'for-each-ref', '--format=%(refname) %(objectname)');

describe('git-flow-release', () => {
  const jobs: Job[] = [];
  const newJob = () => {
    const j = new Job();
    jobs.push(j);
    return j;
  };
  afterAll(() => jobs.forEach((j) => j.cleanup()));

  it('starts and finishes a release, then a hotfix, with the history git-flow AVH leaves', async () => {
    const job = newJob();
    const { remote } = repository(job);
    const started = await job.run('git-flow-release', { with: { operation: 'release-start', version: 'minor' } });
    expect(started.errors).toEqual([]);
    expect(started.outputs).toMatchObject({ version: '1.1.0', tag: 'v1.1.0', branch: 'release/1.1.0' });
    expect(git(remote, 'show', 'release/1.1.0:VERSION')).toBe('1.1.0');
    expect(JSON.parse(git(remote, 'show', 'release/1.1.0:package.json')).version).toBe('1.1.0');

    const finished = await job.run('git-flow-release', { with: { operation: 'release-finish' } });
    expect(finished.errors).toEqual([]);
    expect(finished.exitCode).toBe(0);
    const merge = git(remote, 'rev-parse', 'master');
    expect(git(remote, 'rev-list', '--parents', '-n', '1', 'master').split(' ')).toHaveLength(3); // a --no-ff merge
    expect(git(remote, 'log', '-1', '--format=%s', 'master')).toBe("Merge branch 'release/1.1.0'");
    expect(git(remote, 'cat-file', '-t', 'v1.1.0')).toBe('tag'); // annotated
    expect(git(remote, 'rev-parse', 'v1.1.0^{commit}')).toBe(merge);
    expect(git(remote, 'tag', '--contains', 'v1.1.0', '--merged', 'develop')).toBe('v1.1.0');
    expect(git(remote, 'for-each-ref', 'refs/heads/release/')).toBe('');
    expect(git(job.workspace, 'for-each-ref', 'refs/heads/release/')).toBe('');
    expect(git(remote, 'show', 'master:VERSION')).toBe('1.1.0');
    expect(finished.outputs['master-sha']).toBe(merge);
    expect(finished.outputs['develop-sha']).toBe(git(remote, 'rev-parse', 'develop'));
    expect(finished.outputs['release-notes']).toMatch(/^- Bump version to 1\.1\.0 \(\w+\)\n- Add the login form \(\w+\)$/);
    expect(git(remote, 'tag', '-l', '--format=%(contents)', 'v1.1.0')).toContain('- Add the login form');

    const hotfix = await job.run('git-flow-release', { with: { operation: 'hotfix-start', version: 'patch' } });
    expect(hotfix.outputs).toMatchObject({ version: '1.1.1', branch: 'hotfix/1.1.1' });
    expect(git(remote, 'merge-base', 'hotfix/1.1.1', 'master')).toBe(merge);
    fs.writeFileSync(path.join(job.workspace, 'fix.txt'), 'a fix\n');
    git(job.workspace, 'add', '.');
    git(job.workspace, 'commit', '--quiet', '-m', 'Fix the login');
    const fixed = await job.run('git-flow-release', { with: { operation: 'hotfix-finish', version: '1.1.1' } });
    expect(fixed.errors).toEqual([]);
    expect(git(remote, 'log', '-1', '--format=%s', 'master')).toBe("Merge branch 'hotfix/1.1.1'");
    expect(git(remote, 'rev-parse', 'v1.1.1^{commit}')).toBe(git(remote, 'rev-parse', 'master'));
    expect(git(remote, 'tag', '--merged', 'develop')).toContain('v1.1.1');
    expect(git(remote, 'show', 'develop:fix.txt')).toBe('a fix');
    expect(git(remote, 'for-each-ref', 'refs/heads/hotfix/')).toBe('');
  });

  it('reads branch names and prefixes from the gitflow config git flow init writes', async () => {
    const job = newJob();
    const { remote } = repository(job);
    const config: [string, string][] = [['gitflow.branch.master', 'master'], ['gitflow.branch.develop', 'develop'], ['gitflow.prefix.release', 'rel/'], ['gitflow.prefix.versiontag', '']];
    for (const [key, value] of config) git(job.workspace, 'config', key, value);
    const step = await job.run('git-flow-release', { with: { operation: 'release', version: '2.0.0', 'version-files': 'VERSION' } });
    expect(step.errors).toEqual([]);
    expect(step.outputs).toMatchObject({ version: '2.0.0', tag: '2.0.0', branch: 'rel/2.0.0' });
    expect(git(remote, 'log', '-1', '--format=%s', 'master')).toBe("Merge branch 'rel/2.0.0'");
    expect(git(remote, 'cat-file', '-t', '2.0.0')).toBe('tag');
    expect(JSON.parse(git(remote, 'show', 'master:package.json')).version).toBe('1.0.0'); // only the files named
    expect(git(remote, 'show', 'master:VERSION')).toBe('2.0.0');
  });

  it('fails a back-merge conflict naming the file, with the remote unchanged', async () => {
    const job = newJob();
    const { remote, other } = repository(job);
    expect((await job.run('git-flow-release', { with: { operation: 'release-start', version: '1.1.0' } })).exitCode).toBe(0);
    git(other, 'checkout', '--quiet', 'develop');
    fs.writeFileSync(path.join(other, 'VERSION'), '1.2.0-dev\n');
    git(other, 'commit', '--quiet', '-am', 'Start 1.2.0 on develop');
    git(other, 'push', '--quiet', 'origin', 'develop');
    const stale = await job.run('git-flow-release', { with: { operation: 'release-finish', version: '1.1.0' } });
    expect(stale.errors[0]).toBe('The local develop is behind origin/develop: pull it first');
    git(job.workspace, 'fetch', '--quiet', 'origin', 'develop:develop');
    const before = remoteRefs(remote);
    const step = await job.run('git-flow-release', { with: { operation: 'release-finish', version: '1.1.0' } });
    expect(step.exitCode).toBe(1);
    // What can be merged by hand is the release branch: the tag is not pushed.
    expect(step.errors[0]).toMatch(/^Merging release\/1\.1\.0 into develop conflicts in: VERSION\. The merge was aborted and nothing was pushed/);
    expect(step.errors[0]).toContain('Merge release/1.1.0 into develop by hand, push develop, then run the finish again.');
    expect(remoteRefs(remote)).toBe(before);
  });

  it('refuses a push a pre-receive hook rejects, atomically, and a re-run completes without a second merge or tag', async () => {
    const job = newJob();
    const { remote } = repository(job);
    const hook = path.join(remote, 'hooks/pre-receive');
    fs.writeFileSync(hook, '#!/bin/sh\necho "protected branch: master needs a review" >&2\nexit 1\n', { mode: 0o755 });
    const before = remoteRefs(remote);
    const step = await job.run('git-flow-release', { with: { operation: 'release', version: '2.0.0' } });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toContain('origin refused the push (a pre-receive hook or branch protection); it was atomic, so nothing was pushed.');
    expect(step.errors[0]).toContain('protected branch: master needs a review');
    expect(remoteRefs(remote)).toBe(before);
    const localTag = git(job.workspace, 'rev-parse', 'v2.0.0');

    fs.rmSync(hook);
    const again = await job.run('git-flow-release', { with: { operation: 'release-finish', version: '2.0.0' } });
    expect(again.errors).toEqual([]);
    expect(again.stdout).toContain('release/2.0.0 already merged into master');
    expect(again.stdout).toContain('v2.0.0 already tagged');
    expect(git(remote, 'rev-parse', 'v2.0.0')).toBe(localTag);
    expect(git(remote, 'rev-list', '--merges', '--count', 'v1.0.0..master')).toBe('1');
    expect(git(remote, 'rev-list', '--merges', '--count', 'master..develop')).toBe('1');
  });

  it('fails before any change when the tag already exists elsewhere', async () => {
    const job = newJob();
    const { remote, other } = repository(job);
    expect((await job.run('git-flow-release', { with: { operation: 'release-start', version: '1.1.0' } })).exitCode).toBe(0);
    git(other, 'tag', '-a', 'v1.1.0', '-m', 'elsewhere', 'origin/develop');
    git(other, 'push', '--quiet', 'origin', 'v1.1.0');
    const remoteBefore = remoteRefs(remote);
    const step = await job.run('git-flow-release', { with: { operation: 'release-finish' } });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toBe('The tag v1.1.0 already exists and does not point to the merge of release/1.1.0: nothing was changed');
    expect(remoteRefs(remote)).toBe(remoteBefore);
    expect(refs(job.workspace)).not.toContain('refs/heads/master ');
  });

  it('refuses a shallow clone when told not to deepen it, naming the fix', async () => {
    const job = newJob();
    const { remote } = repository(job);
    fs.rmSync(job.workspace, { recursive: true });
    git(job.dir, 'clone', '--quiet', '--depth', '1', '--branch', 'develop', `file://${remote}`, job.workspace);
    const step = await job.run('git-flow-release', { with: { operation: 'release-start', version: 'minor', unshallow: 'false' } });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toContain('fetch-depth: 0');
    const deepened = await job.run('git-flow-release', { with: { operation: 'release-start', version: 'minor' } });
    expect(deepened.errors).toEqual([]);
    expect(deepened.outputs.version).toBe('1.1.0');
  });

  describe('bad inputs fail before any change', () => {
    const job = newJob();
    it.each([
      ['version', { operation: 'release-start', version: 'banana' }],
      ['version', { operation: 'release-start', version: '1.2' }],
      ['master-branch', { 'master-branch': 'ma..ster' }],
      ['develop-branch', { 'develop-branch': 'my branch' }],
      ['release-prefix', { 'release-prefix': 'rel ease/' }],
      ['operation', { operation: 'release-begin' }],
      ['github-token', { operation: 'release-finish', 'github-release': 'true' }],
    ])('%s', async (name, inputs) => {
      const step = await job.run('git-flow-release', { with: inputs as Record<string, string> });
      expect(step.exitCode).toBe(1);
      expect(step.errors[0]).toMatch(new RegExp(`^Input '${name}' is invalid: `));
    });
  });
});

/** git-flow-release through the runner harness, against real bare remotes on disk. */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Job, RUNNER_UID } from '../../scripts/harness';
import { checkoutLikeActions } from '../../scripts/checkout';

const ID = ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com'];
const GID = Number(execFileSync('getent', ['group', 'docker'], { encoding: 'utf8' }).split(':')[2]);
/** git as the runner user, who owns the remotes and clones (a teammate with access, for the remote). */
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...ID, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], uid: RUNNER_UID, gid: GID, env: { PATH: process.env.PATH, HOME: cwd } }).trim();
}

/** A bare remote with master (tagged v1.0.0) and develop one feature ahead, checked out into the job's workspace as a workflow on develop would. */
function repository(job: Job, opts: { tag?: string } = {}): { remote: string; ws: string; other: string } {
  const tag = opts.tag ?? 'v1.0.0';
  job.chown(job.dir);
  const remote = path.join(job.dir, 'remote.git');
  const seed = path.join(job.dir, 'seed');
  git(job.dir, 'init', '--quiet', '--bare', '--initial-branch=master', remote);
  git(job.dir, 'init', '--quiet', '--initial-branch=master', seed);
  fs.writeFileSync(path.join(seed, 'VERSION'), '1.0.0\n');
  fs.writeFileSync(path.join(seed, 'package.json'), JSON.stringify({ name: 'auth-service', version: '1.0.0' }, null, 2) + '\n');
  git(seed, 'add', '.');
  git(seed, 'commit', '--quiet', '-m', 'Initial release');
  git(seed, 'tag', '-a', tag, '-m', 'Release 1.0.0');
  git(seed, 'checkout', '--quiet', '-b', 'develop');
  fs.writeFileSync(path.join(seed, 'feature.txt'), 'login form\n');
  git(seed, 'add', '.');
  git(seed, 'commit', '--quiet', '-m', 'Add the login form');
  git(seed, 'remote', 'add', 'origin', remote);
  git(seed, 'push', '--quiet', 'origin', 'master', 'develop', tag);
  ci(job, remote);
  const other = path.join(job.dir, 'other');
  git(job.dir, 'clone', '--quiet', remote, other);
  job.chown(job.dir);
  return { remote, ws: job.workspace, other };
}

/** A new workflow run's workspace: actions/checkout of develop with fetch-depth: 0 (branches only as origin/*). */
function ci(job: Job, remote: string, ref = 'refs/heads/develop'): void {
  checkoutLikeActions(remote, job.workspace, { ref, fetchDepth: 0 });
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

  it('starts and finishes a release, then a hotfix, with the history git-flow AVH leaves, each run in a fresh checkout', async () => {
    const job = newJob();
    const { remote, other } = repository(job);
    const started = await job.run('git-flow-release', { with: { operation: 'release-start', version: 'minor' } });
    expect(started.errors).toEqual([]);
    expect(started.outputs).toMatchObject({ version: '1.1.0', tag: 'v1.1.0', branch: 'release/1.1.0' });
    expect(git(remote, 'show', 'release/1.1.0:VERSION')).toBe('1.1.0');
    expect(JSON.parse(git(remote, 'show', 'release/1.1.0:package.json')).version).toBe('1.1.0');

    // The finish is another workflow run: release/1.1.0 exists only as origin/release/1.1.0.
    ci(job, remote);
    expect(git(job.workspace, 'for-each-ref', '--format=%(refname)', 'refs/heads/')).toBe('refs/heads/develop');
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

    ci(job, remote);
    const hotfix = await job.run('git-flow-release', { with: { operation: 'hotfix-start', version: 'patch' } });
    expect(hotfix.outputs).toMatchObject({ version: '1.1.1', branch: 'hotfix/1.1.1' });
    expect(git(remote, 'merge-base', 'hotfix/1.1.1', 'master')).toBe(merge);
    // A developer pushes the fix to the hotfix branch; the finish runs in a fresh checkout.
    git(other, 'fetch', '--quiet', 'origin');
    git(other, 'checkout', '--quiet', 'hotfix/1.1.1');
    fs.writeFileSync(path.join(other, 'fix.txt'), 'a fix\n');
    git(other, 'add', '.');
    git(other, 'commit', '--quiet', '-m', 'Fix the login');
    git(other, 'push', '--quiet', 'origin', 'hotfix/1.1.1');
    ci(job, remote);
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

  it('refuses a push a pre-receive hook rejects, atomically, puts the local refs back as they were, and a re-run completes with one merge and one tag', async () => {
    const job = newJob();
    const { remote } = repository(job);
    const hook = path.join(remote, 'hooks/pre-receive');
    fs.writeFileSync(hook, '#!/bin/sh\necho "protected branch: master needs a review" >&2\nexit 1\n', { mode: 0o755 });
    const before = remoteRefs(remote);
    const local = () => [git(job.workspace, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads', 'refs/tags'), git(job.workspace, 'rev-parse', 'HEAD'), git(job.workspace, 'status', '--porcelain')];
    const localBefore = local();
    const step = await job.run('git-flow-release', { with: { operation: 'release', version: '2.0.0' } });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toContain('origin refused the push (a pre-receive hook or branch protection); it was atomic, so nothing was pushed.');
    expect(step.errors[0]).toContain('protected branch: master needs a review');
    expect(remoteRefs(remote)).toBe(before);
    // on a kept (self-hosted) checkout, no tag or branch of the failed run is left to block the next
    expect(local()).toEqual(localBefore);
    expect(step.stdout).toMatch(/Put back the local refs this run changed: .*refs\/tags\/v2\.0\.0/);

    fs.rmSync(hook);
    const again = await job.run('git-flow-release', { with: { operation: 'release', version: '2.0.0' } });
    expect(again.errors).toEqual([]);
    expect(git(remote, 'rev-parse', 'v2.0.0')).toBe(git(job.workspace, 'rev-parse', 'v2.0.0'));
    expect(git(remote, 'rev-list', '--merges', '--count', 'v1.0.0..master')).toBe('1');
    expect(git(remote, 'rev-list', '--merges', '--count', 'master..develop')).toBe('1');
  });

  it('fails before any change when the tag already exists elsewhere', async () => {
    const job = newJob();
    const { remote, other } = repository(job);
    expect((await job.run('git-flow-release', { with: { operation: 'release-start', version: '1.1.0' } })).exitCode).toBe(0);
    git(other, 'tag', '-a', 'v1.1.0', '-m', 'elsewhere', 'origin/develop');
    git(other, 'push', '--quiet', 'origin', 'v1.1.0');
    ci(job, remote);
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
    checkoutLikeActions(`file://${remote}`, job.workspace, { ref: 'refs/heads/develop' }); // depth 1, as actions/checkout by default
    const step = await job.run('git-flow-release', { with: { operation: 'release-start', version: 'minor', unshallow: 'false' } });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toContain('fetch-depth: 0');
    const deepened = await job.run('git-flow-release', { with: { operation: 'release-start', version: 'minor' } });
    expect(deepened.errors).toEqual([]);
    expect(deepened.outputs.version).toBe('1.1.0');
  });

  it('takes no version from a branch name that is not one: no tag, no output, no option', async () => {
    for (const [branch, extra] of [
      ['release/1.0.0";touch${IFS}/tmp/x;"', {}],
      ['release/--edit', { 'version-tag-prefix': 'none' }],
    ] as const) {
      const job = newJob();
      const { remote, other } = repository(job);
      git(other, 'push', '--quiet', 'origin', `origin/develop:refs/heads/${branch}`);
      ci(job, remote);
      const before = remoteRefs(remote);
      const step = await job.run('git-flow-release', { with: { operation: 'release-finish', ...extra } });
      expect(step.exitCode, branch).toBe(1);
      expect(step.errors[0]).toBe(`The branch ${JSON.stringify(branch)} does not name a semantic version after release/: give the version`);
      expect(step.outputs.tag).toBeUndefined();
      expect(remoteRefs(remote)).toBe(before);
      expect(git(job.workspace, 'tag', '--list')).toBe('v1.0.0');
    }
  });

  it('bumps from every release tag, with or without the prefix, and refuses a downgrade naming the release', async () => {
    const job = newJob();
    const { remote, other } = repository(job, { tag: '1.0.0' }); // AVH's default: no tag prefix
    git(other, 'tag', '-a', '1.1.0', '-m', 'Release 1.1.0', 'origin/master');
    git(other, 'push', '--quiet', 'origin', '1.1.0');
    ci(job, remote);
    const lower = await job.run('git-flow-release', { with: { operation: 'release', version: '1.0.5' } });
    expect(lower.exitCode).toBe(1);
    expect(lower.errors[0]).toBe('1.0.5 is not above the release 1.1.0 (1.1.0): give a higher version');
    ci(job, remote);
    const step = await job.run('git-flow-release', { with: { operation: 'release', version: 'minor' } });
    expect(step.errors).toEqual([]);
    expect(step.outputs).toMatchObject({ version: '1.2.0', tag: '1.2.0' }); // the prefix the releases use
    expect(git(remote, 'show', 'master:VERSION')).toBe('1.2.0');
    expect(git(remote, 'tag', '--list', 'v*')).toBe('');
  });

  it('is a no-op with a notice when a release with that version went through already', async () => {
    const job = newJob();
    const { remote } = repository(job);
    expect((await job.run('git-flow-release', { with: { operation: 'release', version: '1.1.0' } })).exitCode).toBe(0);
    const after = remoteRefs(remote);
    ci(job, remote);
    const again = await job.run('git-flow-release', { with: { operation: 'release', version: '1.1.0' } });
    expect(again.errors).toEqual([]);
    expect(again.exitCode).toBe(0);
    expect(again.commands.find((c) => c.command === 'notice')?.message).toBe('v1.1.0 is already released: master and develop contain it. Nothing to do.');
    expect(again.outputs).toMatchObject({ version: '1.1.0', tag: 'v1.1.0', 'master-sha': git(remote, 'rev-parse', 'master') });
    expect(remoteRefs(remote)).toBe(after);
  });

  it('advises merging master into the release branch on a conflict with master, so the finish stays one push', async () => {
    const job = newJob();
    const { remote, other } = repository(job);
    expect((await job.run('git-flow-release', { with: { operation: 'release-start', version: '1.1.0' } })).exitCode).toBe(0);
    git(other, 'checkout', '--quiet', 'master');
    fs.writeFileSync(path.join(other, 'VERSION'), '1.0.1\n');
    git(other, 'commit', '--quiet', '-am', 'A fix straight on master');
    git(other, 'push', '--quiet', 'origin', 'master');
    ci(job, remote);
    const before = remoteRefs(remote);
    const step = await job.run('git-flow-release', { with: { operation: 'release-finish' } });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(/^Merging release\/1\.1\.0 into master conflicts in: VERSION\./);
    expect(step.errors[0]).toContain('Merge master into release/1.1.0 by hand, resolve the conflict there, push release/1.1.0, then run the finish again.');
    expect(remoteRefs(remote)).toBe(before);
  });

  it("runs none of the checkout's hooks or its fsmonitor for its commits, merges, tags and push", async () => {
    const job = newJob();
    const { remote } = repository(job);
    const marks = path.join(job.dir, 'marks');
    fs.mkdirSync(marks);
    const hooks = ['pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit', 'pre-merge-commit', 'post-merge', 'post-checkout', 'pre-push', 'reference-transaction'];
    for (const hook of hooks) fs.writeFileSync(path.join(job.workspace, '.git/hooks', hook), `#!/bin/sh\ntouch ${marks}/${hook}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(job.dir, 'fsmonitor'), `#!/bin/sh\ntouch ${marks}/fsmonitor\n`, { mode: 0o755 });
    git(job.workspace, 'config', 'core.fsmonitor', path.join(job.dir, 'fsmonitor'));
    job.chown(job.dir);
    const step = await job.run('git-flow-release', { with: { operation: 'release', version: '1.1.0' } });
    expect(step.errors).toEqual([]);
    expect(git(remote, 'rev-parse', 'v1.1.0^{commit}')).toBe(git(remote, 'rev-parse', 'master'));
    expect(fs.readdirSync(marks)).toEqual([]);
  });

  it('refuses a version file that is a symlink out of the workspace, and changes nothing', async () => {
    const job = newJob();
    const { remote, other } = repository(job);
    const outside = path.join(job.dir, 'outside-VERSION');
    fs.writeFileSync(outside, 'do not touch\n');
    fs.rmSync(path.join(other, 'VERSION'));
    fs.symlinkSync(outside, path.join(other, 'VERSION'));
    git(other, 'checkout', '--quiet', 'develop');
    git(other, 'add', 'VERSION');
    git(other, 'commit', '--quiet', '-m', 'VERSION as a link');
    git(other, 'push', '--quiet', 'origin', 'develop');
    ci(job, remote);
    const before = remoteRefs(remote);
    const step = await job.run('git-flow-release', { with: { operation: 'release', version: '1.1.0' } });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(/^Input 'version-files' is invalid: "VERSION"; expected a path inside the workspace .* \(a symlink may not lead out of it\)$/);
    expect(fs.readFileSync(outside, 'utf8')).toBe('do not touch\n');
    expect(remoteRefs(remote)).toBe(before);
  });

  it('creates the GitHub Release with one REST call, and finds it again on a re-run (recorded contract of the API: a double)', async () => {
    // Double: GitHub's REST API cannot run here. The server answers as the API documents
    // POST /repos/{owner}/{repo}/releases (201, then 422 already_exists) and GET .../releases/tags/{tag}.
    const requests: { method: string; url: string; auth: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization ?? '', body });
        const page = 'https://github.com/acme/auth-service/releases/tag/v1.1.0';
        res.setHeader('content-type', 'application/json');
        if (req.method === 'POST' && requests.filter((r) => r.method === 'POST').length === 1) {
          res.statusCode = 201;
          res.end(JSON.stringify({ id: 1, html_url: page, tag_name: 'v1.1.0' }));
        } else if (req.method === 'POST') {
          res.statusCode = 422;
          res.end(JSON.stringify({ message: 'Validation Failed', errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] }));
        } else {
          res.end(JSON.stringify({ id: 1, html_url: page, tag_name: 'v1.1.0' }));
        }
      });
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const job = newJob();
      const { remote } = repository(job);
      const env = { GITHUB_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
      const inputs = { operation: 'release', version: '1.1.0', 'github-release': 'true', 'github-token': 'ghs_test-token-1234' };
      const step = await job.run('git-flow-release', { with: inputs, env });
      expect(step.errors).toEqual([]);
      expect(step.outputs['release-url']).toBe('https://github.com/acme/auth-service/releases/tag/v1.1.0');
      expect(requests[0]).toMatchObject({ method: 'POST', url: '/repos/acme/auth-service/releases', auth: 'token ghs_test-token-1234' });
      expect(JSON.parse(requests[0]!.body)).toMatchObject({ tag_name: 'v1.1.0', name: 'v1.1.0', prerelease: false });
      expect(JSON.parse(requests[0]!.body).body).toContain('- Add the login form');
      expect(step.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain('ghs_test-token-1234');

      // A re-run of the finish: the release exists, the URL is the same, nothing fails.
      ci(job, remote);
      const again = await job.run('git-flow-release', { with: { ...inputs, operation: 'release-finish' }, env });
      expect(again.errors).toEqual([]);
      expect(again.outputs['release-url']).toBe('https://github.com/acme/auth-service/releases/tag/v1.1.0');
      expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        'POST /repos/acme/auth-service/releases',
        'POST /repos/acme/auth-service/releases',
        'GET /repos/acme/auth-service/releases/tags/v1.1.0',
      ]);
    } finally {
      server.close();
    }
  });

  describe('bad inputs fail before any change', () => {
    const job = newJob();
    it.each([
      ['version', { operation: 'release-start', version: 'banana' }],
      ['version', { operation: 'release-start', version: '1.2' }],
      ['version', { operation: 'release' }],
      ['master-branch', { version: '1.1.0', 'master-branch': 'ma..ster' }],
      ['develop-branch', { version: '1.1.0', 'develop-branch': 'my branch' }],
      ['release-prefix', { version: '1.1.0', 'release-prefix': 'rel ease/' }],
      ['remote', { version: '1.1.0', remote: '--upload-pack' }],
      ['operation', { operation: 'release-begin' }],
      ['github-token', { operation: 'release-finish', 'github-release': 'true' }],
    ])('%s', async (name, inputs) => {
      const step = await job.run('git-flow-release', { with: inputs as Record<string, string> });
      expect(step.exitCode).toBe(1);
      expect(step.errors[0]).toMatch(new RegExp(`^Input '${name}' is invalid: `));
    });

    it('github-release without a token says what turns it on in the template, and where the token comes from', async () => {
      const step = await job.run('git-flow-release', { with: { operation: 'release-finish', 'github-release': 'true' } });
      expect(step.errors[0]).toContain('the git-flow template sets it from the repository variable GIT_FLOW_GITHUB_RELEASE, and the token from the secret RELEASE_TOKEN');
    });
  });
});

/**
 * A bare repository with one commit on develop (and the tag v1.2.3), owned as a runner's remote
 * is, and a `run` that runs a small workflow on it with the local workflow runner.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { RUNNER_UID } from '../../scripts/harness';
import { WorkflowRunner, type RunOptions, type WorkflowRun } from '../../scripts/workflow-runner/index.ts';

export function runnerBed(): { run: (yaml: string, opts?: Partial<RunOptions>) => Promise<WorkflowRun>; dir: () => string; remote: () => string } {
  let dir = '';
  let remote = '';

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-wf-'));
    fs.chmodSync(dir, 0o755);
    remote = path.join(dir, 'remote.git');
    const work = path.join(dir, 'work');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: work, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } });
    execFileSync('git', ['init', '-q', '--bare', remote]);
    fs.mkdirSync(work);
    git('init', '-q', '-b', 'develop');
    fs.writeFileSync(path.join(work, 'VERSION'), '1.2.3\n');
    git('add', '.');
    git('commit', '-q', '-m', 'one');
    git('tag', 'v1.2.3');
    git('push', '-q', remote, 'develop', 'v1.2.3');
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    execFileSync('chown', ['-R', `${RUNNER_UID}`, remote]); // the remote's owner, not the runner's root
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  async function run(yaml: string, opts: Partial<RunOptions> = {}): Promise<WorkflowRun> {
    const file = path.join(dir, `wf-${++n}.yml`);
    fs.writeFileSync(file, yaml);
    return new WorkflowRunner({ workflow: file, event: 'push', ref: 'refs/heads/develop', remote, dir: fs.mkdtempSync(path.join(dir, 'run-')), ...opts }).run();
  }
  return { run, dir: () => dir, remote: () => remote };
}

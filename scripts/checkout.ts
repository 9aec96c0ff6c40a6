/**
 * A workspace as actions/checkout leaves it, so tests see what workflows see: `git init`, the
 * remote as origin, a fetch with checkout's refspecs, then `checkout -B <branch>` onto the
 * remote-tracking ref (the only local branch), or a detached HEAD for a tag. Depth 1 unless
 * `fetchDepth: 0`, which fetches every branch (as origin/*) and tag.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { RUNNER_UID } from './harness.ts';

export interface CheckoutOptions {
  /** refs/heads/<branch> or refs/tags/<tag>, as GITHUB_REF. */
  ref: string;
  /** 1 by default, as actions/checkout; 0 is the whole history with every branch and tag. */
  fetchDepth?: number;
  uid?: number;
  gid?: number;
}

export function checkoutLikeActions(remote: string, dir: string, opts: CheckoutOptions): void {
  const uid = opts.uid ?? RUNNER_UID;
  const gid = opts.gid ?? Number(execFileSync('getent', ['group', 'docker'], { encoding: 'utf8' }).split(':')[2]);
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], uid, gid, env: { PATH: process.env.PATH, HOME: dir } }).trim();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.chownSync(dir, uid, gid);
  git('init', '--quiet');
  git('remote', 'add', 'origin', remote);
  git('config', '--local', 'gc.auto', '0');
  const depth = opts.fetchDepth ?? 1;
  const branch = /^refs\/heads\/(.+)$/.exec(opts.ref)?.[1];
  const tag = /^refs\/tags\/(.+)$/.exec(opts.ref)?.[1];
  if (!branch && !tag) throw new Error(`checkoutLikeActions: ${opts.ref} is neither a branch nor a tag`);
  if (depth === 0) git('fetch', '--prune', '--no-recurse-submodules', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*');
  else
    git('fetch', '--no-tags', '--prune', '--no-recurse-submodules', `--depth=${depth}`, 'origin',
      branch ? `+refs/heads/${branch}:refs/remotes/origin/${branch}` : `+refs/tags/${tag}:refs/tags/${tag}`);
  if (branch) git('checkout', '--quiet', '--force', '-B', branch, `refs/remotes/origin/${branch}`);
  else git('checkout', '--quiet', '--force', `refs/tags/${tag}`);
}

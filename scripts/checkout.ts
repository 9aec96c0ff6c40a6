/**
 * A workspace as actions/checkout leaves it, so tests see what workflows see: `git init`, the
 * remote as origin, a fetch with checkout's refspecs, then `checkout -B <branch>` onto the
 * remote-tracking ref (the only local branch), or a detached HEAD for a tag. Depth 1 unless
 * `fetchDepth: 0`, which fetches every branch (as origin/*) and tag.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNNER_UID, dockerGid } from './harness.ts';

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
  const gid = opts.gid ?? dockerGid();
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

/** The commit `ref` names in a bare repository: a branch's loose ref file as it is (no process to start), else git's answer. */
export function commitOf(remote: string, ref: string): string {
  if (/^refs\/heads\/[\w./-]+$/.test(ref) && !ref.split('/').includes('..')) {
    const loose = path.join(remote, ref);
    const sha = fs.existsSync(loose) ? fs.readFileSync(loose, 'utf8').trim() : '';
    if (/^[0-9a-f]{40}$/.test(sha)) return sha;
  }
  return execFileSync('git', ['-c', `safe.directory=${remote}`, '--git-dir', remote, 'rev-parse', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
}

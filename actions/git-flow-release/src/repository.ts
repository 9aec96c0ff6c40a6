/**
 * The repository as git-flow sees it: its branches and prefixes (from `gitflow.*` config where
 * `git flow init` wrote them), and the checks that must pass before anything changes.
 */
import * as core from '@actions/core';
import { Git } from '../../shared/git';
import type { Config } from './config';

export interface Flow {
  remote: string;
  master: string;
  develop: string;
  releasePrefix: string;
  hotfixPrefix: string;
  tagPrefix: string;
}

export class PreflightError extends Error {
  override name = 'PreflightError';
}

export async function readFlow(git: Git, cfg: Config): Promise<Flow> {
  const conf = async (key: string, fallback: string) => (await git.config(key)) ?? fallback;
  let master = cfg.master || (await git.config('gitflow.branch.master')) || '';
  if (!master) master = (await git.commit(`refs/remotes/${cfg.remote}/main`)) ? 'main' : 'master';
  return {
    remote: cfg.remote,
    master,
    develop: cfg.develop || (await conf('gitflow.branch.develop', 'develop')),
    releasePrefix: cfg.releasePrefix ?? (await conf('gitflow.prefix.release', 'release/')),
    hotfixPrefix: cfg.hotfixPrefix ?? (await conf('gitflow.prefix.hotfix', 'hotfix/')),
    tagPrefix: cfg.tagPrefix ?? (await conf('gitflow.prefix.versiontag', 'v')),
  };
}

/** Fetches branches and tags; a shallow clone is deepened, or refused with the fix. */
export async function fetchAll(git: Git, remote: string, unshallow: boolean): Promise<void> {
  if ((await git.out(['rev-parse', '--is-shallow-repository'])) === 'true') {
    if (!unshallow)
      throw new PreflightError('The repository is a shallow clone: git-flow needs the whole history. Check out with fetch-depth: 0, or set unshallow: true');
    core.info('Shallow clone: fetching the whole history');
    await git.out(['fetch', '--unshallow', '--no-tags', remote]);
  }
  await git.out(['fetch', '--prune', '--no-tags', remote, `+refs/heads/*:refs/remotes/${remote}/*`]);
  const tags = await git.run(['fetch', '--no-tags', remote, 'refs/tags/*:refs/tags/*']);
  if (tags.code !== 0) {
    const clash = tags.tail.find((l) => /would clobber existing tag/.test(l));
    throw new PreflightError(clash ? `A local tag differs from the remote's: ${clash.trim()}` : `git fetch of tags failed: ${tags.tail.at(-1) ?? ''}`);
  }
}

export async function requireCleanTree(git: Git): Promise<void> {
  const status = await git.out(['status', '--porcelain', '--untracked-files=no']);
  if (status) throw new PreflightError(`The working tree has uncommitted changes:\n${status}`);
}

/**
 * A branch for this run: the local one where it exists (it must not be behind or apart from the
 * remote's), else the remote's. Returns the commit, or '' when neither exists.
 */
export async function branchTip(git: Git, remote: string, branch: string): Promise<string> {
  const local = await git.commit(`refs/heads/${branch}`);
  const remoteTip = await git.commit(`refs/remotes/${remote}/${branch}`);
  if (local && remoteTip && local !== remoteTip && !(await git.isAncestor(remoteTip, local)))
    throw new PreflightError(
      (await git.isAncestor(local, remoteTip))
        ? `The local ${branch} is behind ${remote}/${branch}: pull it first`
        : `The local ${branch} and ${remote}/${branch} have diverged`,
    );
  return local || remoteTip;
}

/** Checks out `branch` at `tip`, creating the local branch from the remote's when needed. */
export async function checkout(git: Git, branch: string, tip: string): Promise<void> {
  if (await git.commit(`refs/heads/${branch}`)) await git.out(['checkout', '--quiet', branch]);
  else await git.out(['checkout', '--quiet', '-b', branch, tip]);
}

export async function tagNames(git: Git): Promise<string[]> {
  return (await git.out(['tag', '--list'])).split('\n').filter(Boolean);
}

/**
 * The repository as git-flow sees it: its branches and prefixes (from `gitflow.*` config where
 * `git flow init` wrote them), and the checks that must pass before anything changes.
 */
import * as core from '@actions/core';
import { escapeLog } from '../../shared/exec';
import type { Git } from '../../shared/git';
import { inferTagPrefix } from './version';

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

/**
 * The inputs that override git-flow's configuration; empty or undefined: from `gitflow.*`, else
 * AVH's defaults (the tag prefix: the one the release tags use, else `v`).
 */
export interface FlowSettings {
  remote: string;
  master: string;
  develop: string;
  releasePrefix?: string;
  hotfixPrefix?: string;
  tagPrefix?: string;
}

export async function readFlow(git: Git, cfg: FlowSettings): Promise<Flow> {
  const conf = async (key: string, fallback: string) => (await git.config(key)) ?? fallback;
  let master = cfg.master || (await git.config('gitflow.branch.master')) || '';
  if (!master) master = (await git.resolve(`refs/remotes/${cfg.remote}/main`)) ? 'main' : 'master';
  return {
    remote: cfg.remote,
    master,
    develop: cfg.develop || (await conf('gitflow.branch.develop', 'develop')),
    releasePrefix: cfg.releasePrefix ?? (await conf('gitflow.prefix.release', 'release/')),
    hotfixPrefix: cfg.hotfixPrefix ?? (await conf('gitflow.prefix.hotfix', 'hotfix/')),
    // Unconfigured: the prefix the existing release tags use, so a repository tagged 1.1.0 goes on without one.
    tagPrefix: cfg.tagPrefix ?? (await git.config('gitflow.prefix.versiontag')) ?? inferTagPrefix(await git.tags()),
  };
}

/** Fetches branches and tags; a shallow clone is deepened, or refused with the fix. */
export async function fetchAll(git: Git, remote: string, unshallow: boolean): Promise<void> {
  if (await git.isShallow()) {
    if (!unshallow)
      throw new PreflightError('The repository is a shallow clone: git-flow needs the whole history. Check out with fetch-depth: 0, or set unshallow: true');
    core.info('Shallow clone: fetching the whole history');
    await git.unshallow(remote);
  }
  await git.fetchBranches(remote);
  const tags = await git.fetchTags(remote);
  if (tags.code !== 0) {
    const clash = tags.tail.find((l) => /would clobber existing tag/.test(l));
    throw new PreflightError(clash ? `A local tag differs from the remote's: ${escapeLog(clash.trim())}` : `git fetch of tags failed: ${escapeLog(tags.tail.at(-1) ?? '')}`);
  }
}

export async function requireCleanTree(git: Git): Promise<void> {
  const changes = await git.changes();
  if (changes.length) throw new PreflightError(`The working tree has uncommitted changes:\n${changes.map(escapeLog).join('\n')}`);
}

/**
 * A branch for this run: the local one where it exists (it must not be behind or apart from the
 * remote's), else the remote's. Returns the commit, or '' when neither exists.
 */
export async function branchTip(git: Git, remote: string, branch: string): Promise<string> {
  const local = await git.resolve(`refs/heads/${branch}`);
  const remoteTip = await git.resolve(`refs/remotes/${remote}/${branch}`);
  if (local && remoteTip && local !== remoteTip && !(await git.isAncestor(remoteTip, local)))
    throw new PreflightError(
      (await git.isAncestor(local, remoteTip))
        ? `The local ${branch} is behind ${remote}/${branch}: pull it first`
        : `The local ${branch} and ${remote}/${branch} have diverged`,
    );
  return local || remoteTip;
}

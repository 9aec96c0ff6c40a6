/**
 * Release and hotfix start and finish, as git-flow AVH does them, made safe to re-run: every
 * step first checks whether it is already done, all changes stay local until one atomic push,
 * and nothing is ever force-pushed.
 */
import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { escapeLog } from '../../shared/exec';
import type { Git } from '../../shared/git';
import { branchTip, PreflightError, requireCleanTree, type Flow } from './repository';
import { insideRoot } from '../../shared/inputs';
import { bumpBase, bumpByPattern, bumpPackageJson, isBump, latestRelease, nextVersion, releases, requireNewVersion, versionOfBranch } from './version';

export type Kind = 'release' | 'hotfix';

export interface Result {
  version: string;
  tag: string;
  branch: string;
  master: string;
  develop: string;
  notes: string;
  steps: string[];
}

function names(flow: Flow, kind: Kind, version: string) {
  return {
    branch: `${kind === 'release' ? flow.releasePrefix : flow.hotfixPrefix}${version}`,
    tag: `${flow.tagPrefix}${version}`,
    base: kind === 'release' ? flow.develop : flow.master,
  };
}

async function branchesWithPrefix(git: Git, remote: string, prefix: string): Promise<string[]> {
  const refs = await git.refNames([`refs/heads/${prefix}`, `refs/remotes/${remote}/${prefix}`]);
  const local = 'refs/heads/';
  const tracking = `refs/remotes/${remote}/`;
  return [...new Set(refs.map((r) => (r.startsWith(local) ? r.slice(local.length) : r.startsWith(tracking) ? r.slice(tracking.length) : r)))];
}

/** What a start needs: the version asked for, and the files that carry it. */
export interface StartOptions {
  version: string;
  repo: string;
  versionFiles: string[];
  versionPatterns: { file: string; pattern: RegExp }[];
}

/** What a finish needs besides the repository. */
export interface FinishOptions {
  tagMessage: string;
  push: boolean;
}

/** A start, and the new branch pushed where asked. */
export async function startAndPush(git: Git, flow: Flow, opts: StartOptions & FinishOptions, kind: Kind): Promise<Result> {
  const result = await start(git, flow, opts, kind);
  if (opts.push) {
    await push(git, flow.remote, [`refs/heads/${result.branch}:refs/heads/${result.branch}`]);
    result.steps.push(`pushed ${result.branch}`);
  }
  return result;
}

/** Start and finish in one run; a re-run of a release that went through is a no-op, as a finish re-run is. */
export async function release(git: Git, flow: Flow, opts: StartOptions & FinishOptions): Promise<Result> {
  const done = isBump(opts.version) ? undefined : await released(git, flow, nextVersion(opts.version, undefined));
  if (done) {
    core.notice(`${done.tag} is already released: ${flow.master} and ${flow.develop} contain it. Nothing to do.`);
    return done;
  }
  const started = await start(git, flow, opts, 'release');
  const result = await finish(git, flow, opts, 'release', started.version);
  result.steps.unshift(...started.steps);
  return result;
}

/** Creates the branch from its base and commits the version bump; pushes nothing. */
export async function start(git: Git, flow: Flow, opts: StartOptions, kind: Kind): Promise<Result> {
  await requireCleanTree(git);
  const base = kind === 'release' ? flow.develop : flow.master;
  const baseTip = await branchTip(git, flow.remote, base);
  if (!baseTip) throw new PreflightError(`The ${base} branch exists neither locally nor on ${flow.remote}`);
  // Every release tag, with or without the prefix, and the base's VERSION file: never a downgrade.
  const known = releases(await git.tags(), flow.tagPrefix);
  const version = nextVersion(opts.version, bumpBase(known[0], await git.fileAt(baseTip, 'VERSION')));
  const { branch, tag } = names(flow, kind, version);
  if (await git.resolve(`refs/tags/${tag}`)) throw new PreflightError(`The tag ${tag} already exists: ${version} was released before`);
  try {
    requireNewVersion(version, known);
  } catch (err) {
    throw new PreflightError((err as Error).message);
  }
  const open = await branchesWithPrefix(git, flow.remote, kind === 'release' ? flow.releasePrefix : flow.hotfixPrefix);
  if (open.includes(branch)) throw new PreflightError(`The branch ${branch} already exists`);
  if (open.length) throw new PreflightError(`A ${kind} is already open (${open.join(', ')}): finish it first`);

  await git.checkoutBranch(branch, baseTip);
  const steps = [`created ${branch} from ${base}`];
  const bumped = bumpFiles(opts, path.resolve(opts.repo), version);
  if (bumped.length) {
    await git.add(bumped);
    await git.commit(`Bump version to ${version}`);
    steps.push(`bumped ${bumped.join(', ')} to ${version}`);
  }
  return { version, tag, branch, master: '', develop: '', notes: '', steps };
}

/** The files given, or package.json and VERSION where they exist, set to the version. */
function bumpFiles(opts: StartOptions, repo: string, version: string): string[] {
  const files = opts.versionFiles.length ? opts.versionFiles : ['package.json', 'package-lock.json', 'VERSION'].filter((f) => fs.existsSync(path.join(repo, f)));
  const changed: string[] = [];
  const write = (file: string, next: (text: string) => string) => {
    // The branch's files: a symlink among them may not lead out of the repository.
    const abs = insideRoot('version-files', file, repo);
    if (!fs.existsSync(abs)) throw new PreflightError(`The version file ${file} does not exist`);
    const text = fs.readFileSync(abs, 'utf8');
    let out: string;
    try {
      out = next(text);
    } catch (err) {
      throw new PreflightError(`The version file ${file} cannot be bumped: ${(err as Error).message}`);
    }
    if (out !== text) {
      fs.writeFileSync(abs, out);
      changed.push(file);
    }
  };
  for (const file of files) write(file, (t) => (/\.json$/.test(file) ? bumpPackageJson(t, version) : `${version}\n`));
  for (const { file, pattern } of opts.versionPatterns) write(file, (t) => bumpByPattern(t, pattern, version));
  return changed;
}

/** A release that is done (its tag exists, and master and develop contain it), as a result with nothing left to do. */
async function released(git: Git, flow: Flow, version: string): Promise<Result | undefined> {
  const { tag, branch } = names(flow, 'release', version);
  const tagged = await git.resolve(`refs/tags/${tag}`);
  if (!tagged) return undefined;
  const master = await branchTip(git, flow.remote, flow.master);
  const develop = await branchTip(git, flow.remote, flow.develop);
  if (!master || !develop || !(await git.isAncestor(tagged, master)) || !(await git.isAncestor(tagged, develop))) return undefined;
  return { version, tag, branch, master, develop, notes: '', steps: [`nothing to do: ${tag} is already released`] };
}

/**
 * Merges `commit` (named `what` for people) into the checked-out `into`; a conflict aborts the
 * merge and says how to resolve it by hand.
 */
async function merge(git: Git, commit: string, what: string, into: string, message: string, advice: string): Promise<void> {
  const res = await git.merge(commit, message);
  if (res.ok) return;
  if (res.conflicts.length)
    throw new Error(
      `Merging ${what} into ${into} conflicts in: ${res.conflicts.map(escapeLog).join(', ')}. The merge was aborted and nothing was pushed: the remote is unchanged. ${advice}`,
    );
  throw new Error(`Merging ${what} into ${into} failed: ${res.detail}`);
}

/**
 * Merges the branch into master (--no-ff), tags that merge (annotated), merges the tag back into
 * develop, then pushes master, develop, the tag and the branch deletion in one atomic push.
 */
export async function finish(git: Git, flow: Flow, opts: FinishOptions, kind: Kind, version?: string): Promise<Result> {
  await requireCleanTree(git);
  const prefix = kind === 'release' ? flow.releasePrefix : flow.hotfixPrefix;
  if (!version) {
    const open = await branchesWithPrefix(git, flow.remote, prefix);
    if (open.length !== 1) throw new PreflightError(open.length ? `Several ${kind} branches are open (${open.join(', ')}): give the version` : `No ${kind} branch (${prefix}*) is open`);
    version = versionOfBranch(open[0]!, prefix);
  } else version = nextVersion(version, undefined);
  const { branch, tag } = names(flow, kind, version);

  // Everything that can refuse the finish is checked before the first change.
  const masterTip = await branchTip(git, flow.remote, flow.master);
  const developTip = await branchTip(git, flow.remote, flow.develop);
  if (!masterTip || !developTip) throw new PreflightError(`The ${!masterTip ? flow.master : flow.develop} branch exists neither locally nor on ${flow.remote}`);
  const tip = await branchTip(git, flow.remote, branch);
  const remoteBranch = await git.resolve(`refs/remotes/${flow.remote}/${branch}`);
  const tagged = await git.resolve(`refs/tags/${tag}`);
  if (!tip) {
    if (tagged && (await git.isAncestor(tagged, masterTip)) && (await git.isAncestor(tagged, developTip))) {
      core.info(`${tag} is already finished: ${flow.master} and ${flow.develop} contain it`);
      return { version, tag, branch, master: masterTip, develop: developTip, notes: '', steps: ['nothing to do: already finished'] };
    }
    throw new PreflightError(`The branch ${branch} exists neither locally nor on ${flow.remote}`);
  }
  if (tagged && (await git.resolve(`refs/tags/${tag}^2`)) !== tip)
    throw new PreflightError(`The tag ${tag} already exists and does not point to the merge of ${branch}: nothing was changed`);
  if (kind === 'hotfix' && !tagged && (await git.isAncestor(tip, masterTip)))
    throw new PreflightError(`${branch} has no commits beyond ${flow.master}: there is nothing to release`);
  const previous = latestRelease((await git.tags()).filter((t) => t !== tag), flow.tagPrefix);
  const notes = (await git.commits(previous ? `refs/tags/${previous.tag}..${tip}` : tip)).map((c) => `- ${c.subject} (${c.hash})`).join('\n');

  const steps: string[] = [];
  await git.checkoutBranch(flow.master, masterTip);
  if (await git.isAncestor(tip, 'HEAD')) steps.push(`${branch} already merged into ${flow.master}`);
  else {
    // The branch by its commit: in a CI checkout it exists only as the remote's.
    await merge(git, tip, branch, flow.master, `Merge branch '${branch}'`,
      // Resolved on the branch, the finish still updates master, develop and the tag in one push.
      `Merge ${flow.master} into ${branch} by hand, resolve the conflict there, push ${branch}, then run the finish again.`);
    steps.push(`merged ${branch} into ${flow.master} (--no-ff)`);
  }
  if (tagged) steps.push(`${tag} already tagged`);
  else {
    const message = opts.tagMessage || `${kind === 'release' ? 'Release' : 'Hotfix'} ${version}${notes ? `\n\n${notes}` : ''}`;
    await git.tagAnnotated(tag, message, 'HEAD');
    steps.push(`tagged ${tag} on ${flow.master}`);
  }
  await git.checkoutBranch(flow.develop, developTip);
  if (await git.isAncestor(`refs/tags/${tag}`, 'HEAD')) steps.push(`${flow.develop} already contains ${tag}`);
  else {
    // What the user can merge by hand is the branch: the tag is not pushed yet.
    await merge(git, `refs/tags/${tag}`, branch, flow.develop, `Merge tag '${tag}' into ${flow.develop}`,
      `Merge ${branch} into ${flow.develop} by hand, push ${flow.develop}, then run the finish again.`);
    steps.push(`merged ${tag} into ${flow.develop}`);
  }

  if (opts.push) {
    const refspecs = [`refs/heads/${flow.master}:refs/heads/${flow.master}`, `refs/heads/${flow.develop}:refs/heads/${flow.develop}`, `refs/tags/${tag}:refs/tags/${tag}`];
    if (remoteBranch) refspecs.push(`:refs/heads/${branch}`);
    await push(git, flow.remote, refspecs);
    steps.push(`pushed ${flow.master}, ${flow.develop} and ${tag}${remoteBranch ? `, deleted ${branch} on ${flow.remote}` : ''} (atomic)`);
  }
  if (await git.resolve(`refs/heads/${branch}`)) {
    await git.deleteBranch(branch);
    steps.push(`deleted ${branch} locally`);
  }
  return { version, tag, branch, master: await git.resolve(`refs/heads/${flow.master}`), develop: await git.resolve(`refs/heads/${flow.develop}`), notes, steps };
}

/** One atomic push, never forced; a refusal says why and that nothing was pushed. */
export async function push(git: Git, remote: string, refspecs: string[]): Promise<void> {
  const res = await git.push(remote, refspecs, { atomic: true });
  if (res.code === 0) return;
  const text = res.tail.join('\n');
  const remoteSays = res.tail.filter((l) => l.startsWith('remote:')).map(escapeLog).join('\n');
  if (/pre-receive hook declined|hook declined|protected branch|GH006|GH013|denied/i.test(text))
    throw new Error(`${remote} refused the push (a pre-receive hook or branch protection); it was atomic, so nothing was pushed.${remoteSays ? `\n${remoteSays}` : ''}`);
  if (/non-fast-forward|fetch first|stale info|\[rejected\]/.test(text))
    throw new Error(`${remote} moved on while this ran (a non-fast-forward push was refused; nothing was pushed). Run again to include the new commits.`);
  throw new Error(`git push to ${remote} failed; nothing was pushed:\n${res.tail.slice(-5).map(escapeLog).join('\n')}`);
}

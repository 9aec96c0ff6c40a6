/**
 * git: the only place that builds its arguments. One repository, one identity, no prompt, and
 * none of the repository's hooks or fsmonitor run for the commits, merges and pushes made here.
 * A ref that comes from a user or a remote goes after `--end-of-options` or as `refs/...`, so it
 * can never read as an option.
 */
import { escapeLog, exec, ExecError, succeeded, type ExecOptions, type ExecResult } from './exec';

export interface Identity {
  name: string;
  email: string;
}

/** Settings for every call: a checked-out repository's hooks and fsmonitor are its owner's, not this run's. */
const SAFE = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];

export interface LocalRefs {
  refs: Record<string, string>;
  /** `refs/heads/<branch>`, or a commit when HEAD was detached. */
  head: string;
}

export class Git {
  constructor(
    readonly cwd: string,
    readonly identity: Identity,
  ) {}

  private call(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const { name, email } = this.identity;
    // No prompt may ever wait for a person; the identity is this run's, not the repository's config.
    const env = { GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
    return exec('git', [...SAFE, ...args], { what: `git ${args[0]}`, cwd: this.cwd, silent: true, capture: true, ...opts, env: { ...env, ...opts.env } });
  }

  /** Runs, throws on a non-zero exit, returns trimmed stdout. */
  private async text(args: readonly string[], opts: ExecOptions = {}): Promise<string> {
    const res = await this.call(args, opts);
    if (!succeeded(res)) throw new ExecError(res);
    return res.stdout.trim();
  }

  // ---- reading

  /** The commit a ref names (tags peeled), or '' when there is no such ref. */
  async resolve(ref: string): Promise<string> {
    const res = await this.call(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
    return res.code === 0 ? res.stdout.trim() : '';
  }

  async isAncestor(ancestor: string, of: string): Promise<boolean> {
    return (await this.call(['merge-base', '--is-ancestor', '--end-of-options', ancestor, of])).code === 0;
  }

  async config(key: string): Promise<string | undefined> {
    const res = await this.call(['config', '--get', key]);
    return res.code === 0 ? res.stdout.trim() : undefined;
  }

  /** A file's content at a commit, or undefined where it has none. */
  async fileAt(commit: string, file: string): Promise<string | undefined> {
    const res = await this.call(['cat-file', 'blob', `${commit}:${file}`]);
    return res.code === 0 ? res.stdout : undefined;
  }

  async isShallow(): Promise<boolean> {
    return (await this.text(['rev-parse', '--is-shallow-repository'])) === 'true';
  }

  /** Full names of the refs under the given prefixes (`refs/heads/release/`, say). */
  async refNames(prefixes: readonly string[]): Promise<string[]> {
    return (await this.text(['for-each-ref', '--format=%(refname)', '--end-of-options', ...prefixes])).split('\n').filter(Boolean);
  }

  async tags(): Promise<string[]> {
    return (await this.text(['tag', '--list'])).split('\n').filter(Boolean);
  }

  /** Tracked files with uncommitted changes, as `git status --porcelain` lines. */
  async changes(): Promise<string[]> {
    return (await this.text(['status', '--porcelain', '--untracked-files=no'])).split('\n').filter(Boolean);
  }

  /** Subjects and short hashes of the non-merge commits in a range (`a..b`) or up to a commit. */
  async commits(range: string): Promise<{ subject: string; hash: string }[]> {
    const out = await this.text(['log', '--no-merges', '--format=%h %s', '--end-of-options', range]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => ({ hash: line.slice(0, line.indexOf(' ')), subject: escapeLog(line.slice(line.indexOf(' ') + 1)) }));
  }

  // ---- fetching

  async unshallow(remote: string): Promise<void> {
    await this.text(['fetch', '--unshallow', '--no-tags', '--end-of-options', remote]);
  }

  /** Every branch of the remote as refs/remotes/<remote>/*, pruned. */
  async fetchBranches(remote: string): Promise<void> {
    await this.text(['fetch', '--prune', '--no-tags', '--end-of-options', remote, `+refs/heads/*:refs/remotes/${remote}/*`]);
  }

  /** Every tag of the remote; a local tag that differs is not overwritten (the result says so). */
  fetchTags(remote: string): Promise<ExecResult> {
    return this.call(['fetch', '--no-tags', '--end-of-options', remote, 'refs/tags/*:refs/tags/*']);
  }

  // ---- changing

  /** Checks out `branch` at `commit`, creating or moving the local branch. */
  async checkoutBranch(branch: string, commit: string): Promise<void> {
    // -B takes the branch as its value and `--` ends the revisions: neither can read as an option.
    await this.text(['checkout', '--quiet', '-B', branch, commit, '--']);
  }

  async add(files: readonly string[]): Promise<void> {
    await this.text(['add', '--', ...files]);
  }

  async commit(message: string): Promise<void> {
    await this.text(['commit', '--quiet', '--no-verify', '-m', message]);
  }

  /** A --no-ff merge; on failure the merge is aborted and the conflicting files returned. */
  async merge(what: string, message: string): Promise<{ ok: true } | { ok: false; conflicts: string[]; detail: string }> {
    const res = await this.call(['merge', '--no-ff', '--no-edit', '--no-verify', '-m', message, '--end-of-options', what]);
    if (res.code === 0) return { ok: true };
    const conflicts = (await this.text(['diff', '--name-only', '--diff-filter=U'])).split('\n').filter(Boolean);
    await this.call(['merge', '--abort']);
    return { ok: false, conflicts, detail: escapeLog(res.tail.at(-1) ?? '') };
  }

  async tagAnnotated(tag: string, message: string, commit: string): Promise<void> {
    await this.text(['tag', '--annotate', '--message', message, '--end-of-options', tag, commit]);
  }

  // ---- putting the local repository back

  /** The local branches and tags with their objects, and what HEAD is: to put back after a failure. */
  async snapshot(): Promise<LocalRefs> {
    const refs: Record<string, string> = {};
    for (const line of (await this.text(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/tags'])).split('\n').filter(Boolean)) {
      const [object, ref] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
      refs[ref] = object;
    }
    const branch = await this.call(['symbolic-ref', '--quiet', 'HEAD']);
    return { refs, head: branch.code === 0 ? branch.stdout.trim() : await this.resolve('HEAD') };
  }

  /**
   * Puts the local branches and tags back as the snapshot had them (refs made since are deleted,
   * moved ones reset) and checks out what HEAD was, discarding what the failed run left in the
   * work tree. Returns the refs it changed.
   */
  async restore(snap: LocalRefs): Promise<string[]> {
    await this.call(['merge', '--abort']);
    const now = await this.snapshot();
    const changed: string[] = [];
    const head = snap.head.startsWith('refs/heads/') ? snap.head : '';
    // HEAD off any branch first, so that every branch can be reset or deleted
    // object ids, and a branch name (git refuses one that starts with '-'), each followed by `--`: never an option or a path
    await this.text(['checkout', '--quiet', '--force', '--detach', head ? (snap.refs[head] ?? 'HEAD') : snap.head, '--']);
    for (const [ref, object] of Object.entries(now.refs))
      if (!(ref in snap.refs)) {
        await this.text(['update-ref', '-d', '--end-of-options', ref, object]);
        changed.push(ref);
      }
    for (const [ref, object] of Object.entries(snap.refs))
      if (now.refs[ref] !== object) {
        await this.text(['update-ref', '--end-of-options', ref, object]);
        changed.push(ref);
      }
    if (head) await this.text(['checkout', '--quiet', '--force', head.slice('refs/heads/'.length), '--']);
    return changed;
  }

  async deleteBranch(branch: string): Promise<void> {
    await this.text(['branch', '--quiet', '--delete', '--force', '--end-of-options', branch]);
  }

  /** One push, atomic where asked, never forced; the result tells how it went. */
  push(remote: string, refspecs: readonly string[], opts: { atomic: boolean; timeoutMs?: number }): Promise<ExecResult> {
    const args = ['push', '--porcelain', '--no-verify', ...(opts.atomic ? ['--atomic'] : []), '--end-of-options', remote, ...refspecs];
    return this.call(args, { timeoutMs: opts.timeoutMs ?? 300_000 });
  }
}

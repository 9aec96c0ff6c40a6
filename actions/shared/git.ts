/** The one git wrapper: argument arrays through the process runner, in one repository, with one identity. */
import { ExecError, run, type RunOptions, type RunResult } from './exec';

export interface Identity {
  name: string;
  email: string;
}

export class Git {
  constructor(
    readonly cwd: string,
    readonly identity: Identity,
  ) {}

  private env(): Record<string, string> {
    const { name, email } = this.identity;
    // No prompt may ever wait for a person; the identity is this run's, not the repository's config.
    return { GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
  }

  run(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run('git', args, { cwd: this.cwd, silent: true, capture: true, ...opts, env: { ...this.env(), ...opts.env } });
  }

  /** Runs, throws on a non-zero exit, returns trimmed stdout. */
  async out(args: readonly string[], opts: RunOptions = {}): Promise<string> {
    const res = await this.run(args, opts);
    if (res.code !== 0) throw new ExecError(res, `git ${args[0]}`);
    return res.stdout.trim();
  }

  /** The commit a ref names (tags peeled), or '' when there is no such ref. */
  async commit(ref: string): Promise<string> {
    const res = await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return res.code === 0 ? res.stdout.trim() : '';
  }

  async isAncestor(ancestor: string, of: string): Promise<boolean> {
    return (await this.run(['merge-base', '--is-ancestor', ancestor, of])).code === 0;
  }

  async config(key: string): Promise<string | undefined> {
    const res = await this.run(['config', '--get', key]);
    return res.code === 0 ? res.stdout.trim() : undefined;
  }
}

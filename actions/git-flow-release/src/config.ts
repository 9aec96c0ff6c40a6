/** git-flow-release's inputs, read and validated before anything touches the repository. */
import contract from '../action.yml';
import { InputError, Inputs, insideRoot } from '../../shared/inputs';
import type { FinishOptions, StartOptions } from './flow';
import type { FlowSettings } from './repository';
import { BUMPS, isValidRefPart } from './version';
import semver from 'semver';

export const OPERATIONS = ['release-start', 'release-finish', 'release', 'hotfix-start', 'hotfix-finish'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface Config extends FlowSettings, StartOptions, FinishOptions {
  operation: Operation;
  unshallow: boolean;
  identity: { name: string; email: string };
  githubRelease: boolean;
  githubToken: string;
}

function branch(input: Inputs, name: string, opts: { prefix?: boolean } = {}): string {
  const value = input.raw(name);
  if (value && !isValidRefPart(value, opts))
    throw new InputError(name, value, opts.prefix ? 'a branch name prefix such as release/ (no spaces, .., ~^:?*[\\)' : 'a valid branch name (no spaces, .., ~^:?*[\\)');
  return value;
}

export function readConfig(root: string, input = new Inputs(contract)): Config {
  const operation = input.choice('operation', OPERATIONS);
  const version = input.string('version', { accepted: `a semantic version such as 1.2.0, or ${BUMPS.join(', ')}` });
  if (version && !(BUMPS as readonly string[]).includes(version) && !semver.valid(version.replace(/^v(?=\d)/, '')))
    throw new InputError('version', version, `a semantic version such as 1.2.0, or ${BUMPS.join(', ')}`);
  if (!version && !operation.endsWith('finish')) throw new InputError('version', '', `a semantic version or ${BUMPS.join(', ')} (required to start or release)`);
  const tagPrefixRaw = input.raw('version-tag-prefix');
  if (tagPrefixRaw && tagPrefixRaw !== 'none' && !/^[A-Za-z0-9._/-]+$/.test(tagPrefixRaw))
    throw new InputError('version-tag-prefix', tagPrefixRaw, 'letters, digits, . _ / -, or none for no prefix');
  const versionPatterns = input.list('version-patterns', { commas: false }).map((line) => {
    const eq = line.indexOf('=');
    const file = eq > 0 ? line.slice(0, eq) : '';
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(line.slice(eq + 1));
    } catch {
      pattern = undefined;
    }
    if (!file || !pattern || !/\((?!\?)/.test(pattern.source)) throw new InputError('version-patterns', line, 'file=regex lines whose regex has one capture group for the version');
    insideRoot('version-patterns', file, root);
    return { file, pattern };
  });
  const versionFiles = input.list('version-files');
  for (const f of versionFiles) insideRoot('version-files', f, root);
  const githubRelease = input.boolean('github-release');
  const githubToken = input.string('github-token', { secret: true, accepted: 'a token that may create releases' });
  if (githubRelease && !githubToken) throw new InputError('github-token', '', 'a token that may create releases (github-release is true; the git-flow template sets it from the repository variable GIT_FLOW_GITHUB_RELEASE, and the token from the secret RELEASE_TOKEN)', true);
  if (githubRelease && operation.endsWith('-start')) throw new InputError('github-release', 'true', 'false for a start: a release is created when a version is finished');
  return {
    githubRelease,
    githubToken,
    operation,
    version,
    repo: input.workspacePath('path', root),
    remote: input.string('remote', { pattern: /^[A-Za-z0-9._][A-Za-z0-9._-]*$/, accepted: 'a remote name (letters, digits, . _ -, not starting with -)' }),
    master: branch(input, 'master-branch'),
    develop: branch(input, 'develop-branch'),
    releasePrefix: branch(input, 'release-prefix', { prefix: true }) || undefined,
    hotfixPrefix: branch(input, 'hotfix-prefix', { prefix: true }) || undefined,
    tagPrefix: tagPrefixRaw === 'none' ? '' : tagPrefixRaw || undefined,
    versionFiles,
    versionPatterns,
    tagMessage: input.string('tag-message', { multiline: true, accepted: 'a tag message' }),
    push: input.boolean('push'),
    unshallow: input.boolean('unshallow'),
    identity: {
      name: input.string('user-name', { accepted: 'a git user name' }),
      email: input.string('user-email', { accepted: 'a git e-mail address' }),
    },
  };
}

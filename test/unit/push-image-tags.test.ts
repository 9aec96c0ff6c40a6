/**
 * Tags for Git contexts. Where a rule is docker/metadata-action's (type=ref for branch, tag and
 * pr, type=semver {{version}}, {{major}}.{{minor}}, {{major}}, type=schedule, type=sha,
 * flavor latest=auto), the expected tags are the ones it produces for that context, compared
 * as sets (metadata-action orders by priority). Run-number tags and dispatch versions are ours.
 */
import { describe, expect, it } from 'vitest';
import { computeTags, sanitizeTag, type TagOptions } from '../../actions/push-image/src/tags';
import type { Context as GitContext } from '../../actions/push-image/src/plan';

const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
const base: GitContext = { eventName: 'push', ref: '', sha: SHA, runNumber: '42', repository: 'acme/auth-service', serverUrl: 'https://github.com' };
const defaults: TagOptions = { latest: 'auto', semverAliases: true, sha: false, runNumberBranches: ['develop'], version: '', extra: [] };
const long = 'feature/' + 'x'.repeat(200);

const cases: Array<[string, Partial<GitContext>, Partial<TagOptions>, string[], string]> = [
  ['develop push', { ref: 'refs/heads/develop' }, {}, ['develop', 'develop-42'], 'develop'],
  ['main push', { ref: 'refs/heads/main' }, {}, ['main'], 'main'],
  ['branch with slashes', { ref: 'refs/heads/feature/login-form' }, {}, ['feature-login-form'], 'feature-login-form'],
  ['branch with upper case', { ref: 'refs/heads/Feature/UPPER_case' }, {}, ['Feature-UPPER_case'], 'Feature-UPPER_case'],
  ['branch with odd characters', { ref: 'refs/heads/fix#12@home' }, {}, ['fix-12-home'], 'fix-12-home'],
  ['release branch', { ref: 'refs/heads/release/1.2.0' }, {}, ['release-1.2.0'], 'release-1.2.0'],
  ['branch longer than 128', { ref: `refs/heads/${long}` }, {}, [('feature-' + 'x'.repeat(200)).slice(0, 128)], ('feature-' + 'x'.repeat(200)).slice(0, 128)],
  ['branch starting with a dot', { ref: 'refs/heads/.hidden' }, {}, ['hidden'], 'hidden'],
  ['develop without run-number tags', { ref: 'refs/heads/develop' }, { runNumberBranches: [] }, ['develop'], 'develop'],
  ['run-number tags on main too', { ref: 'refs/heads/main', runNumber: '7' }, { runNumberBranches: ['main', 'develop'] }, ['main', 'main-7'], 'main'],
  ['release tag v1.2.3', { ref: 'refs/tags/v1.2.3' }, {}, ['v1.2.3', '1.2.3', '1.2', '1', 'latest'], '1.2.3'],
  ['release tag without v', { ref: 'refs/tags/1.2.3' }, {}, ['1.2.3', '1.2', '1', 'latest'], '1.2.3'],
  ['pre-release tag', { ref: 'refs/tags/v1.3.0-rc.1' }, {}, ['v1.3.0-rc.1', '1.3.0-rc.1'], '1.3.0-rc.1'],
  ['pre-release with build metadata', { ref: 'refs/tags/v2.0.0-beta.2+build.5' }, {}, ['v2.0.0-beta.2-build.5', '2.0.0-beta.2'], '2.0.0-beta.2'],
  ['0.x release', { ref: 'refs/tags/v0.4.1' }, {}, ['v0.4.1', '0.4.1', '0.4', 'latest'], '0.4.1'],
  ['tag that is not semver', { ref: 'refs/tags/release-7' }, {}, ['release-7', 'latest'], 'release-7'],
  ['release tag, latest off', { ref: 'refs/tags/v1.2.3' }, { latest: 'false' }, ['v1.2.3', '1.2.3', '1.2', '1'], '1.2.3'],
  ['release tag, no semver aliases', { ref: 'refs/tags/v1.2.3' }, { semverAliases: false }, ['v1.2.3', '1.2.3', 'latest'], '1.2.3'],
  ['release tag with sha tag', { ref: 'refs/tags/v3.0.0' }, { sha: true }, ['v3.0.0', '3.0.0', '3.0', '3', 'latest', 'sha-860c190'], '3.0.0'],
  ['pull request', { eventName: 'pull_request', ref: 'refs/pull/15/merge' }, {}, ['pr-15'], 'pr-15'],
  ['pull request head ref', { eventName: 'pull_request_target', ref: 'refs/pull/8/head' }, {}, ['pr-8'], 'pr-8'],
  ['dispatch with a version', { eventName: 'workflow_dispatch', ref: 'refs/heads/main' }, { version: 'v1.4.0' }, ['v1.4.0'], '1.4.0'],
  ['dispatch with a pre-release, latest on', { eventName: 'workflow_dispatch', ref: 'refs/heads/main' }, { version: '2.0.1-rc.1', latest: 'true' }, ['2.0.1-rc.1'], '2.0.1-rc.1'],
  ['dispatch without a version', { eventName: 'workflow_dispatch', ref: 'refs/heads/develop', runNumber: '9' }, {}, ['develop', 'develop-9'], 'develop'],
  ['detached commit', { ref: '' }, {}, ['sha-860c190'], 'sha-860c190'],
  ['detached commit, other ref kind', { ref: 'refs/remotes/origin/x' }, {}, ['sha-860c190'], 'sha-860c190'],
  ['schedule', { eventName: 'schedule', ref: 'refs/heads/main' }, {}, ['nightly'], 'nightly'],
  ['sha tag on a branch', { ref: 'refs/heads/main' }, { sha: true }, ['main', 'sha-860c190'], 'main'],
  ['explicit extra tags, deduplicated', { ref: 'refs/heads/main' }, { extra: ['stable', 'main'] }, ['main', 'stable'], 'main'],
  ['latest forced on a branch', { ref: 'refs/heads/main' }, { latest: 'true' }, ['main', 'latest'], 'main'],
];

describe('tags from the Git context', () => {
  it('covers at least 25 contexts', () => expect(cases.length).toBeGreaterThanOrEqual(25));

  it.each(cases)('%s', (_name, ctx, opts, tags, version) => {
    const plan = computeTags({ ...base, ...ctx }, { ...defaults, ...opts });
    expect([...plan.tags].sort()).toEqual([...tags].sort());
    expect(plan.version).toBe(version);
    for (const t of plan.tags) expect(t).toMatch(/^[\w][\w.-]{0,127}$/);
  });

  it('sanitizes as metadata-action does', () => {
    expect(sanitizeTag('a/b c//d')).toBe('a-b-c-d');
    expect(sanitizeTag('x'.repeat(300))).toHaveLength(128);
  });
});

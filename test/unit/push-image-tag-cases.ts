/**
 * The tag table: for each Git context, the tags push-image gives. Where `differs` is absent, the
 * tags are the ones docker/metadata-action gives for that context with
 * `tags: type=semver,pattern={{version}}`, `{{major}}.{{minor}}`, `{{major}}`, `type=schedule`,
 * `type=ref,event=branch|tag|pr` (and `type=sha` with sha-tag), flavor `latest=<latest>`,
 * compared as sets (it orders by priority). Where `differs` is set, it says why push-image
 * departs from metadata-action on purpose. Run-number tags and dispatch versions have no
 * counterpart there and are marked so.
 */
import type { TagContext, TagOptions } from '../../actions/push-image/src/tags';

export const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
export const base: TagContext = { eventName: 'push', ref: '', sha: SHA, runNumber: '42', event: {} };
export const defaults: TagOptions = { latest: 'auto', semverAliases: true, sha: false, runNumberBranches: ['develop'], version: '', extra: [] };

const long = 'feature/' + 'x'.repeat(200);
const longA = 'feature/' + 'y'.repeat(130) + '-a';
const longB = 'feature/' + 'y'.repeat(130) + '-b';
const RUN = 'a run-number tag: metadata-action has none';
const DISPATCH = 'a dispatch version: metadata-action has no such input';

export interface TagCase {
  name: string;
  ctx: Partial<TagContext>;
  opts: Partial<TagOptions>;
  tags: string[];
  version: string;
  differs?: string;
}

export const cases: TagCase[] = [
  { name: 'develop push', ctx: { ref: 'refs/heads/develop' }, opts: {}, tags: ['develop', 'develop-42'], version: 'develop', differs: RUN },
  { name: 'develop push without run-number tags', ctx: { ref: 'refs/heads/develop' }, opts: { runNumberBranches: [] }, tags: ['develop'], version: 'develop' },
  { name: 'main push', ctx: { ref: 'refs/heads/main' }, opts: {}, tags: ['main'], version: 'main' },
  { name: 'branch with slashes', ctx: { ref: 'refs/heads/feature/login-form' }, opts: {}, tags: ['feature-login-form'], version: 'feature-login-form' },
  { name: 'branch with upper case', ctx: { ref: 'refs/heads/Feature/UPPER_case' }, opts: {}, tags: ['Feature-UPPER_case'], version: 'Feature-UPPER_case' },
  { name: 'branch with odd characters', ctx: { ref: 'refs/heads/fix#12@home' }, opts: {}, tags: ['fix-12-home'], version: 'fix-12-home' },
  { name: 'release branch', ctx: { ref: 'refs/heads/release/1.2.0' }, opts: {}, tags: ['release-1.2.0'], version: 'release-1.2.0' },
  { name: 'branch of 128 characters', ctx: { ref: `refs/heads/${'b'.repeat(128)}` }, opts: {}, tags: ['b'.repeat(128)], version: 'b'.repeat(128) },
  {
    name: 'branch longer than 128',
    ctx: { ref: `refs/heads/${long}` },
    opts: {},
    tags: [`feature-${'x'.repeat(111)}-15579eaa`],
    version: `feature-${'x'.repeat(111)}-15579eaa`,
    differs: 'a registry refuses a tag over 128 characters: the start, then a hash of the whole name',
  },
  {
    name: 'long branch with its run number',
    ctx: { ref: `refs/heads/${long}` },
    opts: { runNumberBranches: [long] },
    tags: [`feature-${'x'.repeat(111)}-15579eaa`, `feature-${'x'.repeat(108)}-15579eaa-42`],
    version: `feature-${'x'.repeat(111)}-15579eaa`,
    differs: RUN,
  },
  {
    name: 'two long branches sharing their first 128 characters',
    ctx: { ref: `refs/heads/${longA}` },
    opts: {},
    tags: [`feature-${'y'.repeat(111)}-7dfe122a`],
    version: `feature-${'y'.repeat(111)}-7dfe122a`,
    differs: 'kept apart from the same branch ending -b (see the next row) by the hash',
  },
  {
    name: 'the other long branch',
    ctx: { ref: `refs/heads/${longB}` },
    opts: {},
    tags: [`feature-${'y'.repeat(111)}-9d436790`],
    version: `feature-${'y'.repeat(111)}-9d436790`,
    differs: 'kept apart from the branch ending -a by the hash',
  },
  { name: 'branch starting with a dot', ctx: { ref: 'refs/heads/.hidden' }, opts: {}, tags: ['hidden'], version: 'hidden', differs: 'a registry refuses a tag starting with . or -' },
  { name: 'branch of characters no tag holds', ctx: { ref: 'refs/heads/@@@' }, opts: {}, tags: ['sha-860c190'], version: 'sha-860c190', differs: 'metadata-action tags it `-`, which a registry refuses: the commit instead' },
  { name: 'branch of dashes', ctx: { ref: 'refs/heads/--' }, opts: {}, tags: ['sha-860c190'], version: 'sha-860c190', differs: 'an empty tag: the commit instead' },
  { name: 'branch -v1', ctx: { ref: 'refs/heads/-v1' }, opts: {}, tags: ['branch-v1'], version: 'branch-v1', differs: 'a branch may not take a release tag (v1)' },
  { name: 'branch 1.2', ctx: { ref: 'refs/heads/1.2' }, opts: {}, tags: ['branch-1.2'], version: 'branch-1.2', differs: 'a branch may not take a release alias (1.2)' },
  { name: 'branch latest', ctx: { ref: 'refs/heads/latest' }, opts: {}, tags: ['branch-latest'], version: 'branch-latest', differs: 'a branch may not take latest' },
  { name: 'release tag v1.2.3', ctx: { ref: 'refs/tags/v1.2.3' }, opts: {}, tags: ['v1.2.3', '1.2.3', '1.2', '1', 'latest'], version: '1.2.3' },
  { name: 'release tag without v', ctx: { ref: 'refs/tags/1.2.3' }, opts: {}, tags: ['1.2.3', '1.2', '1', 'latest'], version: '1.2.3' },
  { name: 'pre-release tag', ctx: { ref: 'refs/tags/v1.3.0-rc.1' }, opts: {}, tags: ['v1.3.0-rc.1', '1.3.0-rc.1'], version: '1.3.0-rc.1' },
  { name: 'pre-release with build metadata', ctx: { ref: 'refs/tags/v2.0.0-beta.2+build.5' }, opts: {}, tags: ['v2.0.0-beta.2-build.5', '2.0.0-beta.2'], version: '2.0.0-beta.2' },
  { name: '0.x release', ctx: { ref: 'refs/tags/v0.4.1' }, opts: {}, tags: ['v0.4.1', '0.4.1', '0.4', 'latest'], version: '0.4.1', differs: 'no bare `0`: it would stand for every unstable release' },
  { name: 'tag that is not semver', ctx: { ref: 'refs/tags/release-7' }, opts: {}, tags: ['release-7', 'latest'], version: 'release-7' },
  { name: 'release tag, latest off', ctx: { ref: 'refs/tags/v1.2.3' }, opts: { latest: 'false' }, tags: ['v1.2.3', '1.2.3', '1.2', '1'], version: '1.2.3' },
  { name: 'release tag, no semver aliases', ctx: { ref: 'refs/tags/v1.2.3' }, opts: { semverAliases: false }, tags: ['v1.2.3', '1.2.3', 'latest'], version: '1.2.3' },
  { name: 'release tag with sha tag', ctx: { ref: 'refs/tags/v3.0.0' }, opts: { sha: true }, tags: ['v3.0.0', '3.0.0', '3.0', '3', 'latest', 'sha-860c190'], version: '3.0.0' },
  { name: 'pre-release, latest forced', ctx: { ref: 'refs/tags/v1.3.0-rc.1' }, opts: { latest: 'true' }, tags: ['v1.3.0-rc.1', '1.3.0-rc.1'], version: '1.3.0-rc.1', differs: 'never latest for a pre-release' },
  { name: 'pull request', ctx: { eventName: 'pull_request', ref: 'refs/pull/15/merge', event: { number: 15 } }, opts: {}, tags: ['pr-15'], version: 'pr-15' },
  {
    name: 'pull_request_target: GITHUB_REF is the base branch',
    ctx: { eventName: 'pull_request_target', ref: 'refs/heads/main', event: { number: 8, pull_request: { number: 8 } } },
    opts: {},
    tags: ['pr-8'],
    version: 'pr-8',
  },
  {
    name: 'pull_request_target to develop: no develop tags',
    ctx: { eventName: 'pull_request_target', ref: 'refs/heads/develop', event: { number: 9, pull_request: { number: 9 } } },
    opts: {},
    tags: ['pr-9'],
    version: 'pr-9',
  },
  { name: 'dispatch with a version', ctx: { eventName: 'workflow_dispatch', ref: 'refs/heads/main' }, opts: { version: 'v1.4.0' }, tags: ['v1.4.0'], version: '1.4.0', differs: DISPATCH },
  { name: 'dispatch with a pre-release, latest on', ctx: { eventName: 'workflow_dispatch', ref: 'refs/heads/main' }, opts: { version: '2.0.1-rc.1', latest: 'true' }, tags: ['2.0.1-rc.1'], version: '2.0.1-rc.1', differs: DISPATCH },
  { name: 'dispatch without a version', ctx: { eventName: 'workflow_dispatch', ref: 'refs/heads/develop', runNumber: '9' }, opts: {}, tags: ['develop', 'develop-9'], version: 'develop', differs: RUN },
  { name: 'dispatch on main without a version', ctx: { eventName: 'workflow_dispatch', ref: 'refs/heads/main' }, opts: {}, tags: ['main'], version: 'main' },
  { name: 'detached commit', ctx: { ref: '' }, opts: {}, tags: ['sha-860c190'], version: 'sha-860c190', differs: 'metadata-action gives no tag at all without a ref: the commit keeps it addressable' },
  { name: 'detached commit, other ref kind', ctx: { ref: 'refs/remotes/origin/x' }, opts: {}, tags: ['sha-860c190'], version: 'sha-860c190', differs: 'as a detached commit' },
  { name: 'schedule on main', ctx: { eventName: 'schedule', ref: 'refs/heads/main' }, opts: {}, tags: ['nightly', 'main'], version: 'nightly' },
  { name: 'schedule on develop', ctx: { eventName: 'schedule', ref: 'refs/heads/develop' }, opts: { runNumberBranches: [] }, tags: ['nightly', 'develop'], version: 'nightly' },
  { name: 'sha tag on a branch', ctx: { ref: 'refs/heads/main' }, opts: { sha: true }, tags: ['main', 'sha-860c190'], version: 'main' },
  { name: 'explicit extra tags, deduplicated', ctx: { ref: 'refs/heads/main' }, opts: { extra: ['stable', 'main'] }, tags: ['main', 'stable'], version: 'main', differs: 'extra tags are type=raw there' },
  { name: 'latest forced on a branch', ctx: { ref: 'refs/heads/main' }, opts: { latest: 'true' }, tags: ['main', 'latest'], version: 'main' },
];

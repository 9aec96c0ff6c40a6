/**
 * Image tags from the Git context. Where the rules overlap, they are docker/metadata-action's
 * defaults (type=ref for branches, tags and PRs, type=semver, type=schedule, type=sha,
 * flavor latest=auto); on top, `<branch>-<run number>` for chosen branches, and a dispatch version.
 */
import semver from 'semver';
import type { RunnerContext } from '../../shared/context';

export interface TagOptions {
  /** auto: `latest` for a release tag that is not a pre-release; true: always (never for a pre-release); false: never. */
  latest: 'auto' | 'true' | 'false';
  /** For a semver tag: also `X.Y` and `X` (not for a pre-release; no bare `0`). */
  semverAliases: boolean;
  /** Add `sha-<7>` on every event. */
  sha: boolean;
  /** Branches that also get `<branch>-<run number>`, so every build stays addressable. */
  runNumberBranches: string[];
  /** The version a workflow_dispatch asked for; it replaces the ref-based tags. */
  version: string;
  /** Explicit extra tags, already validated. */
  extra: string[];
}

export interface TagPlan {
  tags: string[];
  /** The most specific tag: the semver version, else the first ref tag; for the version label. */
  version: string;
}

export const MAX_TAG_LENGTH = 128;

/** metadata-action's Meta.sanitizeTag, plus what a registry requires: a word character first, at most 128. */
export function sanitizeTag(value: string): string {
  return value
    .replace(/[^a-zA-Z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, MAX_TAG_LENGTH);
}

function semverTags(raw: string, opts: TagOptions): { tags: string[]; version: string; prerelease: boolean } | undefined {
  const v = semver.parse(raw.replace(/^v(?=\d)/, ''));
  if (!v) return undefined;
  const prerelease = v.prerelease.length > 0;
  const tags = [v.version];
  // A bare `0` would stand for every unstable release: 0.x versions get only `0.Y`.
  if (!prerelease && opts.semverAliases) tags.push(`${v.major}.${v.minor}`, ...(v.major > 0 ? [`${v.major}`] : []));
  return { tags, version: v.version, prerelease };
}

export function computeTags(ctx: Pick<RunnerContext, 'eventName' | 'ref' | 'sha' | 'runNumber'>, opts: TagOptions): TagPlan {
  const tags: string[] = [];
  let version = '';
  let release = false;
  let prerelease = false;

  const dispatched = opts.version;
  const branch = /^refs\/heads\/(.+)$/.exec(ctx.ref)?.[1];
  const tag = /^refs\/tags\/(.+)$/.exec(ctx.ref)?.[1];
  const pr = /^refs\/pull\/(\d+)\/(merge|head)$/.exec(ctx.ref)?.[1];

  if (dispatched) {
    const s = semverTags(dispatched, opts);
    tags.push(sanitizeTag(dispatched));
    version = s?.version ?? sanitizeTag(dispatched);
    prerelease = s?.prerelease ?? false;
  } else if (ctx.eventName === 'schedule') {
    tags.push('nightly');
    version = 'nightly';
  } else if (tag) {
    const s = semverTags(tag, opts);
    tags.push(sanitizeTag(tag));
    if (s) tags.push(...s.tags);
    version = s?.version ?? sanitizeTag(tag);
    release = true;
    prerelease = s?.prerelease ?? false;
  } else if (pr) {
    tags.push(`pr-${pr}`);
    version = `pr-${pr}`;
  } else if (branch) {
    const name = sanitizeTag(branch);
    tags.push(name);
    if (opts.runNumberBranches.includes(branch) && ctx.runNumber) tags.push(sanitizeTag(`${name}-${ctx.runNumber}`));
    version = name;
  }

  const latest = !prerelease && (opts.latest === 'true' || (opts.latest === 'auto' && release));
  if (latest) tags.push('latest');
  const short = ctx.sha.slice(0, 7);
  // A detached commit has no ref to name it by: its sha keeps it addressable.
  if (short && (opts.sha || tags.length === 0)) tags.push(`sha-${short}`);
  tags.push(...opts.extra);
  if (!version) version = tags[0] ?? '';
  return { tags: [...new Set(tags)], version };
}

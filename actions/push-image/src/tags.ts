/**
 * Image tags from the Git context. Where the rules overlap, they are docker/metadata-action's
 * with `tags: type=semver,pattern={{version}}`, `{{major}}.{{minor}}`, `{{major}}`, then its
 * defaults (type=schedule, type=ref for branches, tags and PRs), `type=sha` with sha-tag, and
 * flavor latest=auto; on top, `<branch>-<run number>` for chosen branches, and a dispatch version.
 * Where they differ, on purpose:
 * - a tag never starts with `.` or `-` and never passes 128 characters (a registry refuses
 *   both): a longer one keeps its start and ends with a hash of the whole name and its suffix;
 * - a branch never gives an empty tag (its commit's `sha-<7>` instead) or a release-like one
 *   (`1.2`, `v1`, `latest` become `branch-1.2`, ...), which would overwrite a release;
 * - a 0.x release has no bare `0`, and a pre-release never gets `latest`, even with latest: true.
 */
import { createHash } from 'node:crypto';
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

/** metadata-action's Meta.sanitizeTag, plus what a registry requires: a word character first. */
export function sanitizeTag(value: string): string {
  return value.replace(/[^a-zA-Z0-9._-]+/g, '-').replace(/^[.-]+/, '');
}

/**
 * A tag of at most 128 characters whose suffix survives: a longer one keeps its start, then a
 * hash of the whole name, so two long names that share their first 128 characters stay apart.
 */
export function fitTag(name: string, suffix = ''): string {
  if (name.length + suffix.length <= MAX_TAG_LENGTH) return name + suffix;
  const hash = `-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
  return name.slice(0, MAX_TAG_LENGTH - hash.length - suffix.length).replace(/[.-]+$/, '') + hash + suffix;
}

/** What a release or `latest` is tagged: a tag from a branch name may never be one. */
const RELEASE_LIKE = /^(v?\d+(\.\d+)*([-+.].*)?|latest)$/i;

/** The tag of a branch: sanitized, fitted, and never empty or release-like (`-v1` would be `v1`). */
export function branchTag(branch: string): string | undefined {
  const name = sanitizeTag(branch);
  if (!/[a-zA-Z0-9]/.test(name)) return undefined;
  return RELEASE_LIKE.test(name) ? `branch-${name}` : name;
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

/** The pull request a run is for: on pull_request_target GITHUB_REF is the base branch, so the number comes from the event. */
function pullRequest(ctx: TagContext): string | undefined {
  if (ctx.eventName === 'pull_request_target') {
    const n = ctx.event.number ?? ctx.event.pull_request?.number;
    return Number.isInteger(n) ? String(n) : undefined;
  }
  return /^refs\/pull\/(\d+)\/(merge|head)$/.exec(ctx.ref)?.[1];
}

export type TagContext = Pick<RunnerContext, 'eventName' | 'ref' | 'sha' | 'runNumber' | 'event'>;

export function computeTags(ctx: TagContext, opts: TagOptions): TagPlan {
  const tags: string[] = [];
  let version: string;
  let release = false;
  let prerelease = false;

  const dispatched = opts.version;
  const pr = pullRequest(ctx);
  const branch = pr ? undefined : /^refs\/heads\/(.+)$/.exec(ctx.ref)?.[1];
  const tag = /^refs\/tags\/(.+)$/.exec(ctx.ref)?.[1];

  if (dispatched) {
    const s = semverTags(dispatched, opts);
    tags.push(fitTag(sanitizeTag(dispatched)));
    version = s?.version ?? tags[0]!;
    prerelease = s?.prerelease ?? false;
  } else if (pr) {
    tags.push(`pr-${pr}`);
    version = `pr-${pr}`;
  } else if (tag) {
    const s = semverTags(tag, opts);
    const name = sanitizeTag(tag);
    if (name) tags.push(fitTag(name));
    if (s) tags.push(...s.tags);
    version = s?.version ?? tags[0] ?? '';
    release = true;
    prerelease = s?.prerelease ?? false;
  } else {
    // As metadata-action's defaults: a scheduled run is `nightly`, and its branch's tags too.
    if (ctx.eventName === 'schedule') tags.push('nightly');
    const name = branch ? branchTag(branch) : undefined;
    if (name) {
      tags.push(fitTag(name));
      if (opts.runNumberBranches.includes(branch!) && ctx.runNumber) tags.push(fitTag(name, `-${ctx.runNumber}`));
    }
    version = tags[0] ?? '';
  }

  const latest = !prerelease && (opts.latest === 'true' || (opts.latest === 'auto' && release));
  if (latest) tags.push('latest');
  const short = ctx.sha.slice(0, 7);
  // A detached commit, or a branch whose name makes no tag, has its sha to keep it addressable.
  if (short && (opts.sha || tags.length === 0)) tags.push(`sha-${short}`);
  tags.push(...opts.extra);
  if (!version) version = tags[0] ?? '';
  return { tags: [...new Set(tags)], version };
}

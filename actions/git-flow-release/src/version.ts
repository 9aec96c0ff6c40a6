/** Versions: the next one from the latest version tag, and bumping it in files. Pure. */
import semver from 'semver';

export const BUMPS = ['major', 'minor', 'patch'] as const;
export type Bump = (typeof BUMPS)[number];

export function isBump(spec: string): spec is Bump {
  return (BUMPS as readonly string[]).includes(spec);
}

export interface Release {
  version: string;
  tag: string;
}

const RELEASE_TAG = /^(v?)(\d+\.\d+\.\d+)$/;

/**
 * Every release (not a pre-release) among the tags, highest first: `<prefix>X.Y.Z`, and also
 * `X.Y.Z` and `vX.Y.Z` whatever the prefix, so a changed or missing prefix cannot hide one.
 */
export function releases(tags: readonly string[], prefix: string): Release[] {
  const found = tags
    .map((tag) => ({ tag, raw: prefix && tag.startsWith(prefix) ? tag.slice(prefix.length) : (RELEASE_TAG.exec(tag)?.[2] ?? '') }))
    .map(({ tag, raw }) => ({ tag, version: /^\d/.test(raw) ? semver.valid(raw) : null }))
    .filter((r): r is Release => Boolean(r.version) && !semver.prerelease(r.version!));
  return found.sort((a, b) => semver.rcompare(a.version, b.version));
}

export function latestRelease(tags: readonly string[], prefix: string): Release | undefined {
  return releases(tags, prefix)[0];
}

/** With no prefix configured: the one the latest release tag uses (`v` or none), else `v`. */
export function inferTagPrefix(tags: readonly string[]): string {
  const latest = releases(tags, '')[0];
  return latest ? (RELEASE_TAG.exec(latest.tag)?.[1] ?? 'v') : 'v';
}

/** The version to bump from: the latest release, or the VERSION file where it is higher. */
export function bumpBase(latest: Release | undefined, versionFile: string | undefined): string | undefined {
  const fromFile = versionFile ? semver.valid(versionFile.trim().replace(/^v(?=\d)/, '')) : null;
  if (!fromFile) return latest?.version;
  return !latest || semver.gt(fromFile, latest.version) ? fromFile : latest.version;
}

/** Refuses a version that is not above every release, naming the release in the way. */
export function requireNewVersion(version: string, known: readonly Release[]): void {
  const newer = known.find((r) => semver.gte(r.version, version));
  if (newer) throw new Error(`${version} is not above the release ${newer.tag} (${newer.version}): give a higher version`);
}

/** An explicit version (X.Y.Z, a leading `v` allowed) or a bump of the latest release (0.0.0 when there is none). */
export function nextVersion(spec: string, latest: string | undefined): string {
  if (isBump(spec)) return semver.inc(latest ?? '0.0.0', spec)!;
  const v = semver.valid(spec.replace(/^v(?=\d)/, ''));
  if (!v) throw new Error(`${spec} is not a semantic version`);
  return v;
}

/**
 * The version an open branch names (`release/1.2.0` -> 1.2.0), held to the same rule as the
 * version input: a branch name is anyone's text, and it becomes a tag and an output.
 */
export function versionOfBranch(branch: string, prefix: string): string {
  const raw = branch.slice(prefix.length);
  const v = semver.valid(raw.replace(/^v(?=\d)/, ''));
  if (!v || !/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(raw))
    throw new Error(`The branch ${JSON.stringify(branch)} does not name a semantic version after ${prefix}: give the version`);
  return v;
}

/** package.json (or package-lock.json) with its version set, formatting kept. */
export function bumpPackageJson(text: string, version: string): string {
  let data: { version?: string; packages?: Record<string, { version?: string }> };
  try {
    data = JSON.parse(text) as typeof data;
  } catch {
    throw new Error('it is not valid JSON'); // never the parser's message: it quotes the file
  }
  const indent = /^[ \t]+(?=")/m.exec(text)?.[0] ?? '  ';
  data.version = version;
  if (data.packages?.['']) data.packages[''].version = version; // a lockfile's root package
  return `${JSON.stringify(data, null, indent)}${text.endsWith('\n') ? '\n' : ''}`;
}

/** Replaces the first capture group of every match of `pattern` with the version. */
export function bumpByPattern(text: string, pattern: RegExp, version: string): string {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  let found = false;
  const out = text.replace(global, (match: string, group: unknown) => {
    if (typeof group !== 'string') return match;
    found = true;
    const at = match.indexOf(group);
    return `${match.slice(0, at)}${version}${match.slice(at + group.length)}`;
  });
  if (!found) throw new Error(`no match for ${pattern}`);
  return out;
}

/** Git's rules for a branch name (git check-ref-format --branch), and for a prefix that may end in `/`. */
export function isValidRefPart(name: string, { prefix = false } = {}): boolean {
  if (!name) return prefix;
  // eslint-disable-next-line no-control-regex -- git refuses control characters in ref names
  if (/[\s~^:?*[\\\u0000-\u001f\u007f]/.test(name) || name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  if (name.startsWith('-') || name.startsWith('/') || name.startsWith('.')) return false;
  if (!prefix && (name.endsWith('/') || name.endsWith('.'))) return false;
  return !name.split('/').some((c) => c.startsWith('.') || c.endsWith('.lock'));
}

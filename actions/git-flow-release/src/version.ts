/** Versions: the next one from the latest version tag, and bumping it in files. Pure. */
import semver from 'semver';

export const BUMPS = ['major', 'minor', 'patch'] as const;
export type Bump = (typeof BUMPS)[number];

/** The highest release (not pre-release) among tags named exactly `<prefix>X.Y.Z`, with its tag. */
export function latestRelease(tags: readonly string[], prefix: string): { version: string; tag: string } | undefined {
  const releases = tags
    .filter((t) => t.startsWith(prefix) && /^\d/.test(t.slice(prefix.length)))
    .map((tag) => ({ tag, version: semver.valid(tag.slice(prefix.length)) }))
    .filter((r): r is { tag: string; version: string } => Boolean(r.version) && !semver.prerelease(r.version!));
  return releases.sort((a, b) => semver.rcompare(a.version, b.version))[0];
}

/** An explicit version (X.Y.Z, a leading `v` allowed) or a bump of the latest release (0.0.0 when there is none). */
export function nextVersion(spec: string, latest: string | undefined): string {
  if ((BUMPS as readonly string[]).includes(spec)) return semver.inc(latest ?? '0.0.0', spec as Bump)!;
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
  const data = JSON.parse(text) as { version?: string; packages?: Record<string, { version?: string }> };
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

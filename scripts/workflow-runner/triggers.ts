/** Triggers: the events of a workflow's `on:`, and GitHub's branch and tag filter patterns for push. */
import type { RawWorkflow } from './types.ts';

/** GitHub's branch/tag filter glob: `*` stops at `/`, `**` does not, `?` and `+` quantify, `[...]` a class. */
export function filterPattern(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?' || c === '+') re += c;
    else if (c === '[') {
      const end = glob.indexOf(']', i);
      re += end > i ? glob.slice(i, end + 1) : '\\[';
      if (end > i) i = end;
    } else re += c.replace(/[.^$|(){}\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Whether a name passes a filter list (later patterns win; `!` excludes). */
export function matchesFilters(name: string, patterns: string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (filterPattern(p.slice(1)).test(name)) matched = false;
    } else if (filterPattern(p).test(name)) matched = true;
  }
  return matched;
}

/**
 * Whether a push of `ref` triggers the workflow. `$default-branch` is taken as written: GitHub
 * fills it in only when a workflow is created from an organization template, so in a copied
 * file it matches no branch (see defaultBranchPlaceholder).
 */
export function pushTriggers(on: Record<string, unknown> | undefined, ref: string): boolean {
  if (!on || !('push' in on)) return false;
  const f = (on.push ?? {}) as Record<string, string[] | undefined>;
  const tag = /^refs\/tags\/(.+)$/.exec(ref)?.[1];
  const branch = /^refs\/heads\/(.+)$/.exec(ref)?.[1];
  const list = (k: string) => f[k];
  const [only, ignore] = tag ? [list('tags'), list('tags-ignore')] : [list('branches'), list('branches-ignore')];
  const otherKind = tag ? f.branches || f['branches-ignore'] : f.tags || f['tags-ignore'];
  const name = (tag ?? branch)!;
  if (only) return matchesFilters(name, only);
  if (ignore) return !matchesFilters(name, ignore);
  return !otherKind; // only the other kind's filters: this kind does not trigger
}

/** `on:` as a map of events, whichever of its three forms the file uses. */
export function eventsOf(on: RawWorkflow['on']): Record<string, unknown> | undefined {
  if (typeof on === 'string') return { [on]: {} };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [e, {}]));
  return on && Object.fromEntries(Object.entries(on).map(([k, v]) => [k, v ?? {}]));
}

/** The warning for a `$default-branch` left in a push filter, or undefined. */
export function defaultBranchPlaceholder(on: Record<string, unknown> | undefined): string | undefined {
  const f = (on?.push ?? {}) as Record<string, unknown>;
  if (!JSON.stringify([f.branches, f['branches-ignore']]).includes('$default-branch')) return undefined;
  return "on.push.branches holds $default-branch, which GitHub fills in only for a workflow created from an organization template: as written it matches no branch (name the branch instead)";
}

/** Tags for Git contexts: the table in push-image-tag-cases.ts, which says where metadata-action agrees. */
import { describe, expect, it } from 'vitest';
import { branchTag, computeTags, fitTag, sanitizeTag } from '../../actions/push-image/src/tags';
import { base, cases, defaults } from './push-image-tag-cases';

describe('tags from the Git context', () => {
  it('covers at least 40 contexts', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const plan = computeTags({ ...base, ...c.ctx }, { ...defaults, ...c.opts });
    expect([...plan.tags].sort()).toEqual([...c.tags].sort());
    expect(plan.version).toBe(c.version);
    for (const t of plan.tags) expect(t).toMatch(/^[\w][\w.-]{0,127}$/);
  });

  it('sanitizes as metadata-action does, with a word character first', () => {
    expect(sanitizeTag('a/b c//d')).toBe('a-b-c-d');
    expect(sanitizeTag('-.x')).toBe('x');
  });

  it('fits long names in 128 characters, keeping the suffix and telling names apart', () => {
    const a = fitTag('x'.repeat(200), '-7');
    expect(a).toHaveLength(128);
    expect(a.endsWith('-7')).toBe(true);
    expect(fitTag('x'.repeat(199) + 'y')).not.toBe(fitTag('x'.repeat(200)));
    expect(fitTag('short', '-7')).toBe('short-7');
  });

  it('never gives a branch an empty or release-like tag', () => {
    for (const b of ['--', '@@@', '...']) expect(branchTag(b), b).toBeUndefined();
    for (const [b, t] of [['-v1', 'branch-v1'], ['1.2', 'branch-1.2'], ['v2.0.0', 'branch-v2.0.0'], ['latest', 'branch-latest'], ['version-2', 'version-2']])
      expect(branchTag(b!), b).toBe(t);
  });
});

import { describe, expect, it } from 'vitest';
import { parseImageRef } from '../../actions/shared/image-ref';

describe('image references', () => {
  it.each([
    ['builder:1.4', { repository: 'builder', tag: '1.4' }],
    ['127.0.0.1:5000/team/auth-builder:1.0', { repository: '127.0.0.1:5000/team/auth-builder', tag: '1.0' }],
    ['ghcr.io/acme/go-builder', { repository: 'ghcr.io/acme/go-builder' }],
    [`debian@sha256:${'a'.repeat(64)}`, { repository: 'debian', digest: `sha256:${'a'.repeat(64)}` }],
  ])('parses %s', (ref, want) => {
    expect(parseImageRef(ref)).toMatchObject(want);
  });

  it.each(['builder;rm -rf /', 'builder:$(id)', 'Builder:1.4', 'a b', 'x:' + 'a'.repeat(129), ''])('rejects %j', (ref) => {
    expect(parseImageRef(ref)).toBeUndefined();
  });
});

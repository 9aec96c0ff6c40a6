/** Plugin downloads are checked against the release's checksums.txt, in sha256sum's two formats. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { checksumsUrl, verifyChecksum } from '../../actions/shared/cli-plugin';

const binary = Buffer.from('a docker cli plugin');
const sha = createHash('sha256').update(binary).digest('hex');
const src = { plugin: 'compose' as const, version: '2.32.1', url: 'https://github.com/docker/compose/releases/download/v2.32.1/docker-compose-linux-x86_64' };

describe('verifyChecksum', () => {
  it('reads checksums.txt beside the binary', () => {
    expect(checksumsUrl(src.url)).toBe('https://github.com/docker/compose/releases/download/v2.32.1/checksums.txt');
  });

  it.each([`${sha} *docker-compose-linux-x86_64`, `${sha}  docker-compose-linux-x86_64`, `${sha.toUpperCase()} *docker-compose-linux-x86_64\r`])('accepts the binary listed as %s', (line) => {
    expect(() => verifyChecksum(src, binary, `${'0'.repeat(64)} *docker-compose-linux-aarch64\n${line}\n`)).not.toThrow();
  });

  it('refuses a binary whose sha256 differs from the listed one', () => {
    expect(() => verifyChecksum(src, Buffer.from('tampered'), `${sha} *docker-compose-linux-x86_64\n`)).toThrow(
      `docker compose from ${src.url} has sha256 ${createHash('sha256').update('tampered').digest('hex')}, but the release lists ${sha}: not installed`,
    );
  });

  it('refuses a binary the checksums do not list, even under a longer name', () => {
    expect(() => verifyChecksum(src, binary, `${sha} *docker-compose-linux-x86_64.sha256\n${sha} *x/docker-compose-linux-x86_64\n`)).toThrow(
      'https://github.com/docker/compose/releases/download/v2.32.1/checksums.txt lists no sha256 for docker-compose-linux-x86_64: docker compose was not installed',
    );
  });
});

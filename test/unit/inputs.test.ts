import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, Inputs, insideRoot, rejectReservedEnv, type Contract } from '../../actions/shared/inputs';

const contract: Contract = {
  inputs: {
    pull: { default: 'missing' },
    password: {},
    image: {},
    tag: { required: true },
    push: { default: 'true' },
    n: { default: '1' },
    tags: {},
    env: {},
    dockerfile: {},
    'source-path': { default: '/workspace' },
    token: { default: '${{ github.token }}' },
  },
};
const inputs = (given: Record<string, string>) =>
  new Inputs(contract, Object.fromEntries(Object.entries(given).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])));

describe('inputs', () => {
  it('a renamed input: the old name given stands for the new; both given differently is an error naming both; the new alone as usual', () => {
    const renamed = { inputs: { 'health-timeout': { default: '300' }, timeout: { deprecationMessage: 'Renamed health-timeout' } } };
    const read = (env: Record<string, string>) => new Inputs(renamed, env).rename('timeout', 'health-timeout').string('health-timeout');
    expect(read({ INPUT_TIMEOUT: '60', 'INPUT_HEALTH-TIMEOUT': '300' })).toBe('60'); // the runner fills the new one's default
    expect(read({ 'INPUT_HEALTH-TIMEOUT': '90' })).toBe('90');
    expect(read({ INPUT_TIMEOUT: '60', 'INPUT_HEALTH-TIMEOUT': '60' })).toBe('60');
    expect(() => read({ INPUT_TIMEOUT: '60', 'INPUT_HEALTH-TIMEOUT': '90' })).toThrow(/^Input 'timeout' is invalid: "60"; expected only one of 'timeout' and 'health-timeout' \(timeout is the old name of health-timeout\)$/);
  });

  it('names the input, the value and what is accepted', () => {
    expect(() => inputs({ pull: 'sometimes' }).choice('pull', ['missing', 'always'])).toThrow(`Input 'pull' is invalid: "sometimes"; expected one of missing, always`);
  });

  it('takes defaults and the required flag from the contract, never an expression default', () => {
    const i = inputs({});
    expect(i.choice('pull', ['missing', 'always'])).toBe('missing');
    expect(i.boolean('push')).toBe(true);
    expect(i.integer('n')).toBe(1);
    expect(i.string('token')).toBe('');
    expect(() => i.string('tag')).toThrow(/Input 'tag'.*required/);
    expect(inputs({ tag: 'x' }).string('tag')).toBe('x');
  });

  it('takes a list given empty as empty, as the runner passes it, and an empty single value as its default', () => {
    const i = new Inputs({ inputs: { ...contract.inputs, branches: { default: 'develop' } } }, { INPUT_PULL: '', INPUT_PUSH: '', INPUT_N: '', 'INPUT_SOURCE-PATH': '', INPUT_BRANCHES: '' });
    expect(i.choice('pull', ['missing', 'always'])).toBe('missing');
    expect(i.boolean('push')).toBe(true);
    expect(i.integer('n')).toBe(1);
    expect(i.containerPath('source-path')).toBe('/workspace');
    expect(i.list('branches')).toEqual([]);
    expect(new Inputs({ inputs: { branches: { default: 'develop' } } }, {}).list('branches')).toEqual(['develop']);
  });

  it('reads an http(s) URL, its fallback when empty, and refuses other schemes and credentials', () => {
    const url = (value: string, fallback?: string) => new Inputs({ inputs: { endpoint: {} } }, { INPUT_ENDPOINT: value }).httpUrl('endpoint', fallback);
    expect(url('https://rancher.example.com/v2-beta')).toBe('https://rancher.example.com/v2-beta');
    expect(url('', 'http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(url('')).toBe('');
    expect(() => url('ftp://example.com')).toThrow(`Input 'endpoint' is invalid: "ftp://example.com"; expected an http:// or https:// URL without credentials`);
    expect(() => url('https://user:pw@example.com')).toThrow('without credentials');
    expect(() => url('not a url')).toThrow("Input 'endpoint' is invalid");
  });

  it('refuses to read an input the contract does not declare', () => {
    expect(() => inputs({}).string('imagee')).toThrow(/action.yml does not declare/);
  });

  it('masks secret values in errors', () => {
    const err = (() => {
      try {
        inputs({ password: 'hunter2\nx' }).string('password', { secret: true });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err!.message).toContain('***');
    expect(err!.message).not.toContain('hunter2');
  });

  it('rejects newlines in single-line values', () => {
    expect(() => inputs({ image: 'a\nb' }).string('image')).toThrow(/Input 'image'/);
  });

  it('reads booleans, integers with bounds and lists', () => {
    expect(inputs({ push: 'FALSE' }).boolean('push')).toBe(false);
    expect(() => inputs({ push: 'yes' }).boolean('push')).toThrow(/true or false/);
    expect(inputs({ n: '7' }).integer('n', { min: 1, max: 10 })).toBe(7);
    expect(() => inputs({ n: '11' }).integer('n', { min: 1, max: 10 })).toThrow(/from 1 to 10/);
    expect(inputs({ tags: 'a, b\n# comment\nc\n' }).list('tags')).toEqual(['a', 'b', 'c']);
  });

  it('parses KEY=VALUE lines and rejects a value that ran onto a second line', () => {
    expect(inputs({ env: 'A=1\nB=x=y\n' }).keyValues('env')).toEqual({ A: '1', B: 'x=y' });
    expect(() => inputs({ env: 'A=first\nsecond' }).keyValues('env')).toThrow(/Input 'env'.*cannot span lines/);
    expect(() => rejectReservedEnv('env', { GITHUB_TOKEN: 'x' })).toThrow(/Input 'env'/);
  });

  it('keeps paths inside the workspace', () => {
    expect(inputs({ dockerfile: 'builder/Dockerfile' }).workspacePath('dockerfile', '/ws')).toBe('/ws/builder/Dockerfile');
    for (const bad of ['../x', '/etc/passwd', 'a/../../b']) expect(() => insideRoot('dockerfile', bad, '/ws'), bad).toThrow(/Input 'dockerfile'/);
  });

  it('refuses a symlink that leads out of the workspace, also a dangling one', () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-ws-'));
    fs.mkdirSync(path.join(ws, 'sub'));
    fs.writeFileSync(path.join(ws, 'sub/VERSION'), '1.0.0\n');
    fs.symlinkSync('/etc/passwd', path.join(ws, 'VERSION'));
    fs.symlinkSync('/etc', path.join(ws, 'etc'));
    fs.symlinkSync('/nonexistent/file', path.join(ws, 'dangling'));
    fs.symlinkSync('sub/VERSION', path.join(ws, 'inside'));
    try {
      for (const bad of ['VERSION', 'etc/passwd', 'etc/new-file', 'dangling']) expect(() => insideRoot('version-files', bad, ws), bad).toThrow(/symlink may not lead out/);
      expect(insideRoot('version-files', 'inside', ws)).toBe(path.join(ws, 'inside'));
      expect(insideRoot('version-files', 'sub/new-file', ws)).toBe(path.join(ws, 'sub/new-file'));
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it('accepts absolute container paths without ..', () => {
    expect(inputs({}).containerPath('source-path')).toBe('/workspace');
    for (const bad of ['relative', '/src/../etc', '/a:b']) expect(() => inputs({ 'source-path': bad }).containerPath('source-path'), bad).toThrow(/Input 'source-path'/);
  });

  it('rejects inputs the action does not declare', () => {
    expect(() => inputs({ image: 'x', imagee: 'y' })).toThrow(/Input 'imagee'.*a known input: pull/);
  });
});

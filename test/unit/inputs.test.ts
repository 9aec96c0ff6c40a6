import { afterEach, describe, expect, it } from 'vitest';
import * as input from '../../actions/shared/inputs';
import { InputError } from '../../actions/shared/inputs';

const set = (name: string, value: string) => (process.env[`INPUT_${name.toUpperCase()}`] = value);
afterEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('INPUT_')) delete process.env[k];
});

describe('inputs', () => {
  it('names the input, the value and what is accepted', () => {
    set('pull', 'sometimes');
    expect(() => input.choice('pull', ['missing', 'always'], 'missing')).toThrow(
      `Input 'pull' is invalid: "sometimes"; expected one of missing, always`,
    );
  });

  it('masks secret values in errors', () => {
    set('password', 'hunter2\nx');
    const err = (() => {
      try {
        input.string('password', { secret: true });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err!.message).toContain('***');
    expect(err!.message).not.toContain('hunter2');
  });

  it('rejects newlines in single-line values and requires required ones', () => {
    set('image', 'a\nb');
    expect(() => input.string('image')).toThrow(/Input 'image'/);
    expect(() => input.string('tag', { required: true })).toThrow(/required/);
    expect(input.string('tag', { default: 'x' })).toBe('x');
  });

  it('reads booleans, integers with bounds and lists', () => {
    set('push', 'TRUE');
    expect(input.boolean('push', false)).toBe(true);
    set('push', 'yes');
    expect(() => input.boolean('push', false)).toThrow(/true or false/);
    set('n', '7');
    expect(input.integer('n', { default: 1, min: 1, max: 10 })).toBe(7);
    set('n', '11');
    expect(() => input.integer('n', { default: 1, min: 1, max: 10 })).toThrow(/from 1 to 10/);
    set('tags', 'a, b\n# comment\nc\n');
    expect(input.list('tags')).toEqual(['a', 'b', 'c']);
  });

  it('parses KEY=VALUE lines and rejects a value that ran onto a second line', () => {
    set('env', 'A=1\nB=x=y\n');
    expect(input.keyValues('env')).toEqual({ A: '1', B: 'x=y' });
    set('env', 'A=first\nsecond');
    expect(() => input.keyValues('env')).toThrow(/Input 'env'.*cannot span lines/);
    expect(() => input.rejectReservedEnv('env', { GITHUB_TOKEN: 'x' })).toThrow(/Input 'env'/);
  });

  it('keeps paths inside the workspace', () => {
    set('dockerfile', 'builder/Dockerfile');
    expect(input.workspacePath('dockerfile', '/ws')).toBe('/ws/builder/Dockerfile');
    for (const bad of ['../x', '/etc/passwd', 'a/../../b'])
      expect(() => input.insideRoot('dockerfile', bad, '/ws'), bad).toThrow(/Input 'dockerfile'/);
  });

  it('accepts absolute container paths without ..', () => {
    expect(input.containerPath('source-path', '/workspace')).toBe('/workspace');
    for (const bad of ['relative', '/src/../etc', '/a:b']) {
      set('source-path', bad);
      expect(() => input.containerPath('source-path', '/workspace'), bad).toThrow(/Input 'source-path'/);
    }
  });

  it('rejects inputs the action does not declare', () => {
    set('image', 'x');
    set('imagee', 'y');
    expect(() => input.rejectUnknown(['image'])).toThrow(/Input 'imagee'.*a known input: image/);
  });
});

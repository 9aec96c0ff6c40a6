/**
 * Typed reading and validation of action inputs. Every error names the input, shows the bad
 * value (masked when secret) and says what is accepted, before the action does anything.
 */
import * as core from '@actions/core';
import * as path from 'node:path';

export class InputError extends Error {
  override name = 'InputError';
  constructor(
    readonly input: string,
    value: string,
    accepted: string,
    secret = false,
  ) {
    super(`Input '${input}' is invalid: ${secret ? '***' : JSON.stringify(value)}; expected ${accepted}`);
  }
}

interface Common {
  required?: boolean;
  secret?: boolean;
}

/** The raw value as the runner passes it (INPUT_<NAME>), trimmed. */
export function raw(name: string, secret = false): string {
  const value = core.getInput(name);
  if (secret && value) core.setSecret(value);
  return value;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

export function string(
  name: string,
  opts: Common & { default?: string; pattern?: RegExp; accepted?: string; multiline?: boolean } = {},
): string {
  const value = raw(name, opts.secret) || opts.default || '';
  const accepted = opts.accepted ?? (opts.pattern ? `a value matching ${opts.pattern}` : 'a non-empty value');
  if (!value) {
    if (opts.required) throw new InputError(name, value, `${accepted} (the input is required)`, opts.secret);
    return value;
  }
  if (CONTROL.test(value) || (!opts.multiline && /[\r\n]/.test(value)))
    throw new InputError(name, value, `${accepted}, on one line without control characters`, opts.secret);
  if (opts.pattern && !opts.pattern.test(value)) throw new InputError(name, value, accepted, opts.secret);
  return value;
}

export function boolean(name: string, defaultValue: boolean): boolean {
  const value = raw(name);
  if (!value) return defaultValue;
  if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new InputError(name, value, 'true or false');
}

export function integer(name: string, opts: { default: number; min?: number; max?: number }): number {
  const value = raw(name);
  if (!value) return opts.default;
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max)
    throw new InputError(name, value, `a whole number from ${min} to ${max}`);
  return n;
}

export function choice<T extends string>(name: string, options: readonly T[], defaultValue: T): T {
  const value = raw(name);
  if (!value) return defaultValue;
  if ((options as readonly string[]).includes(value)) return value as T;
  throw new InputError(name, value, `one of ${options.join(', ')}`);
}

/** Non-empty lines, trimmed, `#` comments dropped; commas also separate unless `commas: false`. */
export function list(name: string, opts: { commas?: boolean } = {}): string[] {
  const value = raw(name);
  const items = value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .flatMap((line) => (opts.commas === false ? [line] : line.split(',')))
    .map((item) => item.trim())
    .filter(Boolean);
  for (const item of items)
    if (CONTROL.test(item)) throw new InputError(name, item, 'printable text without control characters');
  return items;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const LABEL_KEY = /^[a-zA-Z0-9][a-zA-Z0-9._/-]*$/;

/** `KEY=VALUE` lines. A line without `=` is most often a value that ran onto a second line. */
export function keyValues(name: string, key: RegExp = ENV_NAME): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of list(name, { commas: false })) {
    const eq = line.indexOf('=');
    const k = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!key.test(k))
      throw new InputError(name, line, `KEY=VALUE lines with KEY matching ${key}; a value cannot span lines`);
    out[k] = line.slice(eq + 1);
  }
  return out;
}

/** Environment variable names the runner treats as its own and that no input may set. */
export function rejectReservedEnv(name: string, env: Record<string, string>): void {
  for (const key of Object.keys(env))
    if (/^(GITHUB_|RUNNER_|ACTIONS_)/.test(key) || key === 'NODE_OPTIONS')
      throw new InputError(name, key, 'variable names outside GITHUB_*, RUNNER_*, ACTIONS_* and NODE_OPTIONS');
}

function hasDotDot(p: string): boolean {
  return p.split(/[\\/]/).includes('..');
}

/** A path on the runner inside `root` (the workspace), returned absolute. */
export function workspacePath(
  name: string,
  root: string,
  opts: { default?: string; required?: boolean } = {},
): string {
  const value = string(name, { default: opts.default, required: opts.required, accepted: 'a path inside the workspace' });
  if (!value) return '';
  return insideRoot(name, value, root);
}

export function insideRoot(name: string, value: string, root: string): string {
  const resolved = path.resolve(root, value);
  const rel = path.relative(root, resolved);
  if (hasDotDot(value) || rel.startsWith('..') || path.isAbsolute(rel))
    throw new InputError(name, value, `a path inside the workspace ${root}, without '..'`);
  return resolved;
}

/** An absolute POSIX path inside a container. */
export function containerPath(name: string, defaultValue: string): string {
  const value = string(name, { default: defaultValue, accepted: 'an absolute container path without ..' });
  if (!value.startsWith('/') || hasDotDot(value) || /[:,]/.test(value))
    throw new InputError(name, value, "an absolute container path without '..', ':' or ','");
  return value.replace(/\/+$/, '') || '/';
}

/**
 * The runner exports every `with:` key as INPUT_<NAME> and only warns about undeclared ones.
 * An undeclared input is almost always a typo, so it fails here before anything runs.
 */
export function rejectUnknown(known: readonly string[]): void {
  const names = new Set(known.map((k) => `INPUT_${k.replace(/ /g, '_').toUpperCase()}`));
  for (const key of Object.keys(process.env))
    if (key.startsWith('INPUT_') && !names.has(key)) {
      const given = key.slice('INPUT_'.length).toLowerCase();
      throw new InputError(given, process.env[key] ?? '', `a known input: ${known.join(', ')}`, true);
    }
}

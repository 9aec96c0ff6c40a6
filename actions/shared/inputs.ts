/**
 * Typed reading and validation of action inputs against the action's contract: action.yml,
 * imported at build time, is the only source of each input's name, default and required flag.
 * Every error names the input, shows the bad value (masked when secret) and says what is
 * accepted, before the action does anything.
 */
import * as core from '@actions/core';
import { maskSecret } from './exec';
import * as fs from 'node:fs';
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

/** What action.yml declares about inputs (descriptions stay in action.yml and the README). */
export interface Contract {
  inputs: Record<string, { default?: string; required?: boolean; deprecationMessage?: string }>;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const LABEL_KEY = /^[a-zA-Z0-9][a-zA-Z0-9._/-]*$/;

interface StringOptions {
  secret?: boolean;
  pattern?: RegExp;
  accepted?: string;
  multiline?: boolean;
}

export class Inputs {
  /** Every input the code has read, so a test can tell a declared input the code ignores. */
  readonly read = new Set<string>();

  /**
   * The runner exports every `with:` key as INPUT_<NAME> and only warns about undeclared ones.
   * An undeclared input is almost always a typo, so it fails here before anything runs.
   */
  constructor(
    readonly contract: Contract,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    const known = Object.keys(contract.inputs);
    const names = new Set(known.map(envName));
    for (const key of Object.keys(env))
      if (key.startsWith('INPUT_') && !names.has(key)) {
        const given = key.slice('INPUT_'.length).toLowerCase();
        throw new InputError(given, env[key] ?? '', `a known input: ${known.join(', ')}`, true);
      }
  }

  /**
   * The value as given (the runner sets every declared input, an empty one too), else
   * action.yml's default (an expression default is the runner's to fill), trimmed.
   */
  raw(name: string, secret = false): string {
    const old = this.renamed.get(name);
    if (old) {
      const value = this.oldValue(old, name, secret);
      if (value !== undefined) return value;
    }
    const given = this.env[envName(this.declared(name))];
    const value = (given ?? '').trim();
    if (secret && value) maskSecret(value);
    return given === undefined ? this.fallback(name) : value;
  }

  private readonly renamed = new Map<string, string>();

  /**
   * `oldName` was renamed `name`: given, it stands for `name` (one minor version, with the
   * warning its deprecationMessage in action.yml gives on GitHub); both given, with different
   * values, is an error naming both.
   */
  rename(oldName: string, name: string): this {
    this.declared(oldName);
    this.renamed.set(name, oldName);
    return this;
  }

  private oldValue(old: string, name: string, secret: boolean): string | undefined {
    const value = (this.env[envName(old)] ?? '').trim();
    if (!value) return undefined;
    const current = (this.env[envName(this.declared(name))] ?? '').trim();
    if (current && current !== value && current !== this.fallback(name))
      throw new InputError(old, value, `only one of '${old}' and '${name}' (${old} is the old name of ${name})`, secret);
    if (secret) maskSecret(value);
    if (!this.warned.has(old)) {
      this.warned.add(old);
      core.info(`Input '${old}' is read as '${name}', its new name; the old name is read until the next minor version`);
    }
    return value;
  }

  private readonly warned = new Set<string>();

  /** A single value has no empty meaning where action.yml gives a default: empty stands for it. A list may be empty. */
  private scalar(name: string, secret = false): string {
    return this.raw(name, secret) || this.fallback(name);
  }

  private declared(name: string): string {
    if (!this.contract.inputs[name]) throw new Error(`The code reads the input '${name}', which action.yml does not declare`);
    this.read.add(name);
    return name;
  }

  private fallback(name: string): string {
    const def = this.contract.inputs[name]?.default;
    return def !== undefined && !def.includes('${{') ? def : '';
  }

  private required(name: string): boolean {
    return Boolean(this.contract.inputs[name]?.required);
  }

  string(name: string, opts: StringOptions = {}): string {
    const value = this.scalar(name, opts.secret);
    const accepted = opts.accepted ?? (opts.pattern ? `a value matching ${opts.pattern}` : 'a non-empty value');
    if (!value) {
      if (this.required(name)) throw new InputError(name, value, `${accepted} (the input is required)`, opts.secret);
      return value;
    }
    if (CONTROL.test(value) || (!opts.multiline && /[\r\n]/.test(value)))
      throw new InputError(name, value, `${accepted}, on one line without control characters`, opts.secret);
    if (opts.pattern && !opts.pattern.test(value)) throw new InputError(name, value, accepted, opts.secret);
    return value;
  }

  boolean(name: string): boolean {
    const value = this.scalar(name);
    if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    if (!value) return false;
    throw new InputError(name, value, 'true or false');
  }

  integer(name: string, opts: { min?: number; max?: number } = {}): number {
    const value = this.scalar(name);
    const min = opts.min ?? 0;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) throw new InputError(name, value, `a whole number from ${min} to ${max}`);
    return n;
  }

  choice<T extends string>(name: string, options: readonly T[]): T {
    const value = this.scalar(name);
    if ((options as readonly string[]).includes(value)) return value as T;
    throw new InputError(name, value, `one of ${options.join(', ')}`);
  }

  /** An http:// or https:// URL without credentials in it (they belong in a secret input); '' when not given. */
  httpUrl(name: string, fallback = ''): string {
    const value = this.string(name) || fallback;
    if (!value) return '';
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      // reported below
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password) throw new InputError(name, value, 'an http:// or https:// URL without credentials');
    return value;
  }

  /** Non-empty lines, trimmed, `#` comments dropped; commas also separate unless `commas: false`. */
  list(name: string, opts: { commas?: boolean } = {}): string[] {
    const items = this.raw(name)
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .flatMap((line) => (opts.commas === false ? [line] : line.split(',')))
      .map((item) => item.trim())
      .filter(Boolean);
    for (const item of items) if (CONTROL.test(item)) throw new InputError(name, item, 'printable text without control characters');
    if (!items.length && this.required(name)) throw new InputError(name, '', 'at least one value (the input is required)');
    return items;
  }

  /** `KEY=VALUE` lines. A line without `=` is most often a value that ran onto a second line. */
  keyValues(name: string, key: RegExp = ENV_NAME): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of this.list(name, { commas: false })) {
      const eq = line.indexOf('=');
      const k = eq > 0 ? line.slice(0, eq).trim() : '';
      if (!key.test(k)) throw new InputError(name, line, `KEY=VALUE lines with KEY matching ${key}; a value cannot span lines`);
      out[k] = line.slice(eq + 1);
    }
    return out;
  }

  /** A path on the runner inside `root` (the workspace), returned absolute; '' when not given. */
  workspacePath(name: string, root: string): string {
    const value = this.string(name, { accepted: 'a path inside the workspace' });
    return value ? insideRoot(name, value, root) : '';
  }

  /** An absolute POSIX path inside a container. */
  containerPath(name: string): string {
    const value = this.string(name, { accepted: 'an absolute container path without ..' });
    if (!value.startsWith('/') || hasDotDot(value) || /[:,]/.test(value))
      throw new InputError(name, value, "an absolute container path without '..', ':' or ','");
    return value.replace(/\/+$/, '') || '/';
  }
}

function envName(input: string): string {
  return `INPUT_${input.replace(/ /g, '_').toUpperCase()}`;
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

/**
 * A path inside `root`, returned absolute. Where it exists, its real path must be inside the
 * real root too: a symlink cannot lead out of the workspace.
 */
export function insideRoot(name: string, value: string, root: string): string {
  const resolved = path.resolve(root, value);
  const rel = path.relative(root, resolved);
  if (hasDotDot(value) || rel.startsWith('..') || path.isAbsolute(rel))
    throw new InputError(name, value, `a path inside the workspace ${root}, without '..'`);
  const real = realPath(resolved);
  const realRoot = realPath(root) ?? root;
  const realRel = real === undefined ? '..' : path.relative(realRoot, real);
  if (realRel.startsWith('..') || path.isAbsolute(realRel))
    throw new InputError(name, value, `a path inside the workspace ${root} (a symlink may not lead out of it)`);
  return resolved;
}

/** The real path of p, or of its nearest existing parent joined with the rest; undefined for a dangling symlink. */
function realPath(p: string): string | undefined {
  let existing = p;
  const rest: string[] = [];
  while (!lexists(existing) && path.dirname(existing) !== existing) {
    rest.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  try {
    return path.join(fs.realpathSync(existing), ...rest);
  } catch {
    return undefined;
  }
}

function lexists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Compose v2 (`docker compose`) or v1 (`docker-compose`): the only place that builds a compose
 * command. Every call carries the project name and files; the project's containers are read
 * straight from Docker by the label both flavours set.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensurePlugin, type PluginSource } from './cli-plugin';
import { hasPlugin, inspectContainers, listByLabel, removeByLabel, type ContainerInspect } from './docker';
import { exec, ExecError, succeeded, type ExecOptions, type ExecResult } from './exec';
import { InputError } from './inputs';

export type Flavor = 'v2' | 'v1';
export const PROJECT_LABEL = 'com.docker.compose.project';
export const SERVICE_LABEL = 'com.docker.compose.service';

/**
 * v2 when the runner has it, else v1; a runner with neither (or without v2 when v2 is asked
 * for) gets the v2 plugin installed through the tool cache.
 */
export async function detectFlavor(preference: 'auto' | Flavor, plugin: Omit<PluginSource, 'plugin'>): Promise<Flavor> {
  if (preference !== 'v1' && (await hasPlugin('compose'))) return 'v2';
  if (preference !== 'v2' && (await exec('docker-compose', ['version'], { silent: true }).catch(() => ({ code: 1 }))).code === 0) return 'v1';
  if (preference === 'v1') throw new Error('Compose v1 (docker-compose) is not on this runner');
  await ensurePlugin({ plugin: 'compose', ...plugin });
  return 'v2';
}

export interface PortBinding {
  containerPort: number;
  protocol: string;
  host: string;
  hostPort: number;
}

export interface ContainerState {
  id: string;
  name: string;
  service: string;
  status: string;
  exitCode: number;
  /** '' when the service has no health check. */
  health: string;
  healthLog: string[];
  ports: PortBinding[];
}

export interface ComposeModel {
  services: Record<string, { ports?: unknown[]; healthcheck?: unknown; profiles?: string[] } & Record<string, unknown>>;
  [key: string]: unknown;
}

/** What Compose needs to find a project again (in a post step, say). */
export interface ComposeProject {
  flavor: Flavor;
  project: string;
  files: string[];
  cwd: string;
  /** The variables for interpolation in the compose files, as an env file (writeEnvFile). */
  envFile?: string;
}

/**
 * Variables for the compose files' interpolation reach Compose as an env file (`--env-file`),
 * never in the CLI's environment, where DOCKER_HOST, PATH, HOME or LD_PRELOAD would change which
 * daemon, binaries or files it uses. Compose reads its own settings (COMPOSE_*) and the docker
 * CLI's (DOCKER_*) from an env file too: those keys are refused, naming the input, and so are
 * keys the runner's environment sets (PATH, HOME), whose values Compose would interpolate. Values are
 * written single-quoted, which both Compose v2 and v1 read literally (no `${}` expansion); a
 * value cannot hold a quote or a line break.
 */
export function checkEnvVars(input: string, vars: Record<string, string>): void {
  for (const [key, value] of Object.entries(vars)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new InputError(input, key, 'variable names of letters, digits and _');
    if (/^(DOCKER|COMPOSE)_/i.test(key)) throw new InputError(input, key, "variables other than DOCKER_* and COMPOSE_* (Compose would read them as its own settings)");
    if (process.env[key] !== undefined) throw new InputError(input, key, "variables the runner's environment does not set (Compose would interpolate the runner's value)");
    if (/['\r\n]/.test(value)) throw new InputError(input, key, 'values without a single quote or a line break');
  }
}

/** The env file of checked variables, 0600 in `dir` (a private folder). */
export function writeEnvFile(dir: string, vars: Record<string, string>): string {
  const file = path.join(dir, 'compose.env');
  fs.writeFileSync(file, Object.entries(vars).map(([k, v]) => `${k}='${v}'\n`).join(''), { mode: 0o600 });
  return file;
}

export class Compose {
  constructor(readonly where: ComposeProject) {}

  get project(): string {
    return this.where.project;
  }

  get flavor(): Flavor {
    return this.where.flavor;
  }

  /** The same project with other files (a rewritten model, say). */
  withFiles(files: readonly string[]): Compose {
    return new Compose({ ...this.where, files: [...files] });
  }

  private call(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const envFile = this.where.envFile && fs.existsSync(this.where.envFile) ? ['--env-file', this.where.envFile] : [];
    const base = [...envFile, '-p', this.where.project, ...this.where.files.flatMap((f) => ['-f', f])];
    const [cmd, full] = this.where.flavor === 'v2' ? ['docker', ['compose', ...base, ...args]] : ['docker-compose', [...base, ...args]];
    return exec(cmd, full, { what: `compose ${args[0]}`, cwd: this.where.cwd, ...opts });
  }

  private async callOk(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const res = await this.call(args, opts);
    if (!succeeded(res)) throw new ExecError(res);
    return res;
  }

  /** The resolved model: files merged, variables interpolated, paths absolute, every profile. */
  async config(): Promise<ComposeModel> {
    const res = await this.callOk(this.where.flavor === 'v2' ? ['config', '--format', 'json'] : ['config'], {
      silent: true,
      capture: true,
      env: { COMPOSE_PROFILES: '*' },
      what: 'Reading the compose files',
    });
    const { parse } = await import('yaml'); // loaded on first use: a faster start
    return parse(res.stdout) as ComposeModel;
  }

  async pull(services: readonly string[], opts: ExecOptions = {}): Promise<void> {
    await this.callOk(['pull', ...services], { group: 'Pull images', what: 'Pulling images', ...opts });
  }

  /** Starts the services detached; v1 has no `up --pull`, so `always` pulls first there. */
  async up(services: readonly string[], how: { build: boolean; pull: 'missing' | 'always' | 'never' }, opts: ExecOptions = {}): Promise<void> {
    const args = ['up', '-d', how.build ? '--build' : '--no-build'];
    if (this.where.flavor === 'v2') args.push('--pull', how.pull);
    else if (how.pull === 'always') await this.pull(services, { signal: opts.signal });
    await this.callOk([...args, ...services], { group: `Start ${this.project}`, what: 'Starting the environment', ...opts });
  }

  /** Runs a service once (`run --rm -T`), as a test inside the project's network. */
  runOnce(service: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.call(['run', '--rm', '-T', service], { what: `The service ${service}`, ...opts });
  }

  /** A service's whole log. */
  async logs(service: string, opts: ExecOptions = {}): Promise<string> {
    return (await this.call(['logs', '--no-color', '--timestamps', service], { tailLines: 1, capture: true, ...opts })).stdout;
  }

  /** Stops and removes everything of the project, in every profile, with its volumes. */
  async down(timeoutSeconds: number, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.call(['down', '--volumes', '--remove-orphans', '-t', String(timeoutSeconds)], {
      group: `Tear down ${this.project}`,
      timeoutMs: 300_000,
      ...opts,
      env: { COMPOSE_PROFILES: '*' },
    });
  }

  /** Containers of this project, from Docker itself (both Compose flavours label them). */
  async containers(): Promise<ContainerState[]> {
    return (await inspectContainers(await listByLabel('container', `${PROJECT_LABEL}=${this.project}`))).map(toState);
  }

  /** Removes whatever still carries the project's label: containers, then networks and volumes. */
  async sweep(): Promise<number> {
    const label = `${PROJECT_LABEL}=${this.project}`;
    let removed = 0;
    for (const kind of ['container', 'network', 'volume'] as const) removed += await removeByLabel(kind, label);
    return removed;
  }
}

function toState(c: ContainerInspect): ContainerState {
  const ports: PortBinding[] = [];
  for (const [key, bindings] of Object.entries(c.NetworkSettings.Ports ?? {})) {
    const [port, protocol] = key.split('/') as [string, string];
    for (const b of bindings ?? []) {
      if (b.HostIp.includes(':')) continue; // the IPv6 twin of an IPv4 binding
      ports.push({ containerPort: Number(port), protocol, host: !b.HostIp || b.HostIp === '0.0.0.0' ? '127.0.0.1' : b.HostIp, hostPort: Number(b.HostPort) });
    }
  }
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    service: c.Config.Labels?.[SERVICE_LABEL] ?? '',
    status: c.State.Status,
    exitCode: c.State.ExitCode,
    health: c.State.Health?.Status ?? '',
    healthLog: (c.State.Health?.Log ?? []).slice(-3).map((l) => `exit ${l.ExitCode}: ${l.Output.trim()}`),
    ports,
  };
}

/**
 * Pure: the Compose specification's interpolation of `text` with `vars` only (never the
 * process environment): `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alternative}`, `${VAR+alternative}`, defaults that
 * hold further `${...}`. An unset variable without a default is empty, as Compose has it
 * (Compose also warns). test/e2e/toolkit.test.ts checks it against `docker compose config`.
 */
export function interpolate(text: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const next = text[i + 1];
    if (text[i] !== '$') {
      out += text[i++];
    } else if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      let depth = 1;
      let j = i + 2;
      for (; j < text.length && depth; j++) depth += text[j] === '{' ? 1 : text[j] === '}' ? -1 : 0;
      const body = text.slice(i + 2, j - 1);
      const m = depth ? null : /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
      if (!m) throw new Error(`Invalid interpolation format: ${text.slice(i, j)}`);
      out += substitute(m[1]!, m[2], m[3] ?? '', vars);
      i = j;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
      out += name ? (vars[name] ?? '') : '$';
      i += 1 + (name?.length ?? 0);
    }
  }
  return out;
}

function substitute(name: string, op: string | undefined, arg: string, vars: Readonly<Record<string, string>>): string {
  const value = vars[name];
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  const alternative = () => interpolate(arg, vars);
  switch (op) {
    case ':-':
      return nonEmpty ? value : alternative();
    case '-':
      return set ? value : alternative();
    case ':?':
    case '?':
      if (op === ':?' ? nonEmpty : set) return value!;
      throw new Error(`Compose variable ${name} is required: ${alternative() || 'not set'}`);
    case ':+':
      return nonEmpty ? alternative() : '';
    case '+':
      return set ? alternative() : '';
    default:
      return value ?? '';
  }
}

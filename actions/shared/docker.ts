/**
 * The docker CLI: the only place that builds its arguments. Images (build, inspect, tag),
 * containers (run, inspect, events), resources by label, CLI plugins; swarm services and stacks
 * are in swarm.ts. Values meant for a container go through a 0600 env file, never through the CLI's own
 * environment, where a key such as DOCKER_HOST would redirect the CLI itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './context';
import { exec, execOk, ExecError, succeeded, watch, type ExecOptions, type ExecResult, type Watcher } from './exec';

const DOCKER = 'docker';

/** Where every docker CLI call goes: the runner's own engine, or a remote one (ssh.ts sets DOCKER_HOST and the ssh it uses). */
let connection: Record<string, string> = {};

export function useDockerHost(env: Record<string, string>): void {
  connection = { ...env };
}

/** Runs the docker CLI; the result, whatever the exit code. */
export function docker(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return exec(DOCKER, args, { what: `docker ${args[0] ?? ''}`, ...opts, env: { ...connection, ...opts.env } });
}

/** Runs the docker CLI and throws unless it succeeds. */
export function dockerOk(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return execOk(DOCKER, args, { what: `docker ${args[0] ?? ''}`, ...opts, env: { ...connection, ...opts.env } });
}

/** A docker command's JSON output, undefined when it fails or prints nothing. */
export async function dockerJson<T>(args: readonly string[]): Promise<T | undefined> {
  const res = await docker(args, { silent: true, capture: true });
  return res.code === 0 && res.stdout.trim() ? (JSON.parse(res.stdout) as T) : undefined;
}

/** A docker command's output lines, none when it fails. */
export async function dockerLines(args: readonly string[]): Promise<string[]> {
  const res = await docker(args, { silent: true, capture: true });
  return res.code === 0 ? res.stdout.split('\n').filter(Boolean) : [];
}

// ---- images

export interface BuildSpec {
  file: string;
  context: string;
  tags: string[];
  labels: Record<string, string>;
  /** Build arguments: in a 0600 bake file, never on argv or in the CLI's environment. */
  buildArgs: Record<string, string>;
  target?: string;
  /** BuildKit secrets: id -> file on the runner. */
  secrets?: Record<string, string>;
  cacheFrom?: string[];
  cacheTo?: string[];
}

/** HCL reads `${` and `%{` in a bake file's strings as templates: a value is text, so both are escaped. */
const literal = (text: string) => text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');

/**
 * Pure: the `docker buildx bake` definition of one build, loaded into the image store. A file
 * keeps build-arg values off every command line, and out of the CLI's own environment, where a
 * key such as DOCKER_HOST would redirect the CLI.
 */
export function bakeDefinition(spec: BuildSpec): { target: { build: Record<string, unknown> } } {
  const map = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, literal(v)]));
  const target: Record<string, unknown> = {
    context: literal(spec.context),
    dockerfile: literal(spec.file),
    tags: spec.tags.map(literal),
    labels: map(spec.labels),
    args: map(spec.buildArgs),
    output: ['type=docker'],
  };
  if (spec.target) target.target = spec.target;
  const secrets = Object.entries(spec.secrets ?? {}).map(([id, src]) => literal(`id=${id},src=${src}`));
  if (secrets.length) target.secret = secrets;
  if (spec.cacheFrom?.length) target['cache-from'] = spec.cacheFrom.map(literal);
  if (spec.cacheTo?.length) target['cache-to'] = spec.cacheTo.map(literal);
  return { target: { build: target } };
}

/** Pure: `docker build` for a CLI without buildx (the classic builder: no build args, secrets or cache export). */
export function classicBuildArgv(spec: BuildSpec, iidFile: string): string[] {
  const args = ['build', '--iidfile', iidFile, '--file', spec.file];
  for (const tag of spec.tags) args.push('--tag', tag);
  for (const [k, v] of Object.entries(spec.labels)) args.push('--label', `${k}=${v}`);
  if (spec.target) args.push('--target', spec.target);
  return [...args, spec.context];
}

const NO_BUILDX = /'buildx' is not a docker command|unknown command "?buildx|unknown command: docker buildx/i;

/**
 * Builds and returns the image ID, with buildx bake where the CLI has buildx, else with the
 * classic builder, which cannot take build args. Its files live in a private folder under
 * `temp` (the runner's), removed afterwards.
 */
export async function build(spec: BuildSpec, temp: string, opts: ExecOptions = {}): Promise<string> {
  const what = `Building ${spec.tags[0] ?? spec.context}`;
  return withPrivateDir(temp, async (dir) => {
    const bakeFile = path.join(dir, 'bake.json');
    const metadata = path.join(dir, 'metadata.json');
    fs.writeFileSync(bakeFile, JSON.stringify(bakeDefinition(spec)), { mode: 0o600 });
    const baked = await docker(['buildx', 'bake', '--file', bakeFile, '--metadata-file', metadata, 'build'], { what, ...opts });
    if (succeeded(baked)) return (JSON.parse(fs.readFileSync(metadata, 'utf8')) as { build: Record<string, string> }).build['containerimage.digest']!;
    if (!NO_BUILDX.test(baked.tail.join('\n'))) throw new ExecError(baked);
    if (Object.keys(spec.buildArgs).length || spec.secrets && Object.keys(spec.secrets).length || spec.cacheFrom?.length || spec.cacheTo?.length)
      throw new Error(`${what}: build args, secrets and cache need docker buildx, which this runner's docker CLI does not have`);
    const iidFile = path.join(dir, 'iid');
    await dockerOk(classicBuildArgv(spec, iidFile), { what, ...opts });
    return fs.readFileSync(iidFile, 'utf8').trim();
  });
}

/** Runs fn with a folder only this user can read (0700), removed afterwards. */
async function withPrivateDir<T>(temp: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = tempDir({ temp }, 'drover');
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface ImageInfo {
  id: string;
  repoDigests: string[];
  labels: Record<string, string>;
}

export async function inspectImage(ref: string): Promise<ImageInfo | undefined> {
  const info = await dockerJson<{ Id: string; RepoDigests?: string[]; Config?: { Labels?: Record<string, string> | null } }>([
    'image',
    'inspect',
    '--format',
    '{{json .}}',
    ref,
  ]);
  return info && { id: info.Id, repoDigests: info.RepoDigests ?? [], labels: info.Config?.Labels ?? {} };
}

export async function tag(source: string, ref: string): Promise<void> {
  await dockerOk(['tag', source, ref], { silent: true });
}

// ---- containers

export interface ContainerSpec {
  image: string;
  name?: string;
  labels?: Record<string, string>;
  user?: string;
  /** `source:target[:ro]` binds. */
  volumes?: string[];
  workdir?: string;
  /** The container's environment: written to a 0600 env file, never the CLI's environment or argv. */
  env?: Record<string, string>;
  entrypoint?: string;
  command?: string[];
  /** --init --rm: a real init as PID 1, the container removed when it ends. */
  ephemeral?: boolean;
}

/** Pure: the argv of `docker run` for a spec whose environment is in envFile. */
export function runArgv(spec: ContainerSpec, envFile?: string): string[] {
  const args = ['run'];
  if (spec.ephemeral) args.push('--rm', '--init');
  if (spec.name) args.push('--name', spec.name);
  for (const [k, v] of Object.entries(spec.labels ?? {})) args.push('--label', `${k}=${v}`);
  if (spec.user) args.push('--user', spec.user);
  for (const v of spec.volumes ?? []) args.push('--volume', v);
  if (spec.workdir) args.push('--workdir', spec.workdir);
  if (envFile) args.push('--env-file', envFile);
  if (spec.entrypoint) args.push('--entrypoint', spec.entrypoint);
  return [...args, spec.image, ...(spec.command ?? [])];
}

/**
 * Runs a container in the foreground and returns how it ended. Its environment goes through an
 * env file (0600, in a private folder under `temp`, removed when the run ends); a value cannot
 * span lines.
 */
export async function runContainer(spec: ContainerSpec, temp: string, opts: ExecOptions = {}): Promise<ExecResult> {
  const entries = Object.entries(spec.env ?? {});
  for (const [k, v] of entries) if (/[\r\n]/.test(v) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`The container variable ${k} cannot go in an env file`);
  return withPrivateDir(temp, async (dir) => {
    const envFile = path.join(dir, 'env');
    fs.writeFileSync(envFile, entries.map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
    return docker(runArgv(spec, envFile), { what: `docker run ${spec.image}`, ...opts });
  });
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Config: { Labels: Record<string, string> | null };
  State: { Status: string; Running?: boolean; ExitCode: number; Health?: { Status: string; Log?: { Output: string; ExitCode: number }[] } };
  NetworkSettings: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> };
}

export async function inspectContainers(ids: readonly string[]): Promise<ContainerInspect[]> {
  if (!ids.length) return [];
  return (await dockerJson<ContainerInspect[]>(['container', 'inspect', ...ids])) ?? [];
}

/** Follows the daemon's events that match the filters (`type=container`, `label=k=v`); each event as JSON. */
export function events(filters: readonly string[], onEvent: (event: Record<string, unknown>) => void, signal?: AbortSignal): Watcher {
  const args = ['events', ...filters.flatMap((f) => ['--filter', f]), '--format', '{{json .}}'];
  return watch(DOCKER, args, (line) => {
    try {
      onEvent(JSON.parse(line) as Record<string, unknown>);
    } catch {
      onEvent({});
    }
  }, signal, connection);
}

/**
 * Calls `check` until it returns a value: again whenever an event matching `filters` arrives (or
 * after `fallbackMs`, should one be missed), undefined once `deadline` (epoch ms) has passed. An
 * event that arrives while `check` runs is not lost: `check` runs again before the next wait.
 */
export async function untilChanged<T>(
  filters: readonly string[],
  check: () => Promise<T | undefined>,
  opts: { deadline: number; signal?: AbortSignal; fallbackMs?: number },
): Promise<T | undefined> {
  let changed: boolean;
  let wake = () => {};
  const onEvent = () => {
    changed = true;
    wake();
  };
  const watcher = events(filters, onEvent, opts.signal);
  opts.signal?.addEventListener('abort', onEvent, { once: true });
  try {
    for (;;) {
      opts.signal?.throwIfAborted();
      changed = false;
      const result = await check();
      if (result !== undefined) return result;
      const left = opts.deadline - Date.now();
      if (left <= 0) return undefined;
      if (changed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, opts.fallbackMs ?? 2_000));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    opts.signal?.removeEventListener('abort', onEvent);
    watcher.stop();
  }
}

// ---- resources by label

export type Resource = 'container' | 'network' | 'volume' | 'image';

const LIST: Record<Resource, string[]> = {
  container: ['container', 'ls', '--all', '--quiet', '--no-trunc'],
  network: ['network', 'ls', '--quiet', '--no-trunc'],
  volume: ['volume', 'ls', '--quiet'],
  image: ['image', 'ls', '--quiet', '--no-trunc'],
};
const REMOVE: Record<Resource, string[]> = {
  container: ['container', 'rm', '--force', '--volumes'],
  network: ['network', 'rm'],
  volume: ['volume', 'rm', '--force'],
  image: ['image', 'rm', '--force'],
};

/** IDs (names for volumes) of the resources that carry a label (`key` or `key=value`). */
export async function listByLabel(kind: Resource, label: string): Promise<string[]> {
  return [...new Set(await dockerLines([...LIST[kind], '--filter', `label=${label}`]))];
}

/** Removes the resources that carry a label; finding none is fine. Returns how many there were. */
export async function removeByLabel(kind: Resource, label: string): Promise<number> {
  const ids = await listByLabel(kind, label);
  if (ids.length) await docker([...REMOVE[kind], ...ids], { silent: true });
  return ids.length;
}

// ---- CLI plugins

/** Whether a docker CLI plugin (buildx, compose) answers. */
export async function hasPlugin(plugin: 'buildx' | 'compose'): Promise<boolean> {
  return (await docker([plugin, 'version'], { silent: true })).code === 0;
}

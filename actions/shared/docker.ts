/**
 * The docker CLI: the only place that builds its arguments. Images (build, inspect, tag),
 * containers (run, inspect, events), resources by label, CLI plugins, and swarm services and
 * stacks. Values meant for a container go through a 0600 env file, never through the CLI's own
 * environment, where a key such as DOCKER_HOST would redirect the CLI itself.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './context';
import { escapeLog, exec, execOk, ExecError, succeeded, watch, type ExecOptions, type ExecResult, type Watcher } from './exec';

const DOCKER = 'docker';

/** Runs the docker CLI; the result, whatever the exit code. */
export function docker(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return exec(DOCKER, args, { what: `docker ${args[0] ?? ''}`, ...opts });
}

/** Runs the docker CLI and throws unless it succeeds. */
export function dockerOk(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return execOk(DOCKER, args, { what: `docker ${args[0] ?? ''}`, ...opts });
}

async function dockerJson<T>(args: readonly string[]): Promise<T | undefined> {
  const res = await docker(args, { silent: true, capture: true });
  return res.code === 0 && res.stdout.trim() ? (JSON.parse(res.stdout) as T) : undefined;
}

async function dockerLines(args: readonly string[]): Promise<string[]> {
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
  }, signal);
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

// ---- swarm services and stacks

/** `active` on a swarm manager or worker, `inactive` otherwise. */
export async function swarmState(): Promise<string> {
  return (await dockerLines(['info', '--format', '{{.Swarm.LocalNodeState}}']))[0] ?? 'inactive';
}

/** Deploys (creates or updates) a stack from compose files; `env` is the stack files' interpolation. */
export async function stackDeploy(
  stack: string,
  files: readonly string[],
  opts: ExecOptions & { prune?: boolean; withRegistryAuth?: boolean } = {},
): Promise<void> {
  const args = ['stack', 'deploy', ...files.flatMap((f) => ['--compose-file', f])];
  if (opts.prune) args.push('--prune');
  if (opts.withRegistryAuth) args.push('--with-registry-auth');
  await dockerOk([...args, stack], { what: `Deploying the stack ${stack}`, ...opts });
}

export async function stackRemove(stack: string, opts: ExecOptions = {}): Promise<void> {
  await dockerOk(['stack', 'rm', stack], { what: `Removing the stack ${stack}`, silent: true, ...opts });
}

/** The services of a stack, by their full names (`<stack>_<service>`). */
export async function stackServices(stack: string): Promise<string[]> {
  return dockerLines(['service', 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '--format', '{{.Name}}']);
}

export interface ServiceInspect {
  ID: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    TaskTemplate: { ContainerSpec: { Image: string; Secrets?: { SecretName: string; File?: { Name: string } }[] } };
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
    UpdateConfig?: Record<string, unknown>;
  };
  PreviousSpec?: ServiceInspect['Spec'];
  UpdateStatus?: { State: string; StartedAt?: string; CompletedAt?: string; Message?: string };
}

export async function inspectService(name: string): Promise<ServiceInspect | undefined> {
  return (await dockerJson<ServiceInspect[]>(['service', 'inspect', name]))?.[0];
}

export interface ServiceUpdate {
  image?: string;
  parallelism?: number;
  delaySeconds?: number;
  order?: 'start-first' | 'stop-first';
  failureAction?: 'pause' | 'continue' | 'rollback';
  monitorSeconds?: number;
  /** A secret given to the tasks: `source` (the secret's name) as /run/secrets/<target>. */
  secretAdd?: { source: string; target: string };
}

/** Pure: the argv of a rolling `docker service update`, detached (the caller watches the tasks). */
export function serviceUpdateArgv(name: string, update: ServiceUpdate): string[] {
  const args = ['service', 'update', '--detach', '--with-registry-auth'];
  if (update.image) args.push('--image', update.image);
  if (update.parallelism !== undefined) args.push('--update-parallelism', String(update.parallelism));
  if (update.delaySeconds !== undefined) args.push('--update-delay', `${update.delaySeconds}s`);
  if (update.order) args.push('--update-order', update.order);
  if (update.failureAction) args.push('--update-failure-action', update.failureAction);
  if (update.monitorSeconds !== undefined) args.push('--update-monitor', `${update.monitorSeconds}s`);
  if (update.secretAdd) args.push('--secret-add', `source=${update.secretAdd.source},target=${update.secretAdd.target}`);
  return [...args, name];
}

export async function updateService(name: string, update: ServiceUpdate, opts: ExecOptions = {}): Promise<void> {
  await dockerOk(serviceUpdateArgv(name, update), { what: `Updating the service ${name}`, silent: true, ...opts });
}

export async function rollbackService(name: string, opts: ExecOptions = {}): Promise<void> {
  await dockerOk(['service', 'rollback', '--detach', name], { what: `Rolling back the service ${name}`, silent: true, ...opts });
}

/** Where a service's rolling update (or the rollback swarm started for it) came to rest. */
export interface UpdateOutcome {
  state: 'completed' | 'converged' | 'paused' | 'rollback_completed' | 'rollback_paused' | 'timeout';
  message: string;
  waitedMs: number;
}

/** The UpdateStatus states in which swarm has stopped moving an update (or its rollback). */
export const SETTLED = new Set(['completed', 'paused', 'rollback_completed', 'rollback_paused']);

/**
 * Waits until the update started after `before` (the service's UpdateStatus.StartedAt when the
 * update was requested) settles, looking again on each of the service's events; `timeout` when
 * it has not settled within `timeoutMs` (the update goes on: the caller decides whether to roll back).
 *
 * With `stableMs`, it also ends as `converged` once every replica has run the new spec for that
 * long without swarm pausing or rolling back, as `docker service update` itself does ("verify:
 * waiting N seconds to verify that tasks are stable", N being the update's monitor period); swarm
 * reports `completed` only after the monitor period that follows the last batch's delay.
 */
export async function waitForUpdate(
  name: string,
  before: string | undefined,
  opts: { timeoutMs: number; fallbackMs?: number; signal?: AbortSignal; stableMs?: number },
): Promise<UpdateOutcome> {
  const start = Date.now();
  let last: ServiceInspect['UpdateStatus'];
  let convergedAt: number | undefined;
  const settled = await untilChanged(
    ['type=service', `service=${name}`, ...(opts.stableMs === undefined ? [] : ['type=container', `label=com.docker.swarm.service.name=${name}`])],
    async (): Promise<UpdateOutcome['state'] | undefined> => {
      const svc = await inspectService(name);
      last = svc?.UpdateStatus;
      const ours = last && last.StartedAt !== before;
      if (ours && SETTLED.has(last!.State)) return last!.State as UpdateOutcome['state'];
      if (opts.stableMs === undefined || !svc || (ours && last!.State !== 'updating')) return undefined;
      convergedAt = (await runsSpec(svc)) ? (convergedAt ?? Date.now()) : undefined;
      return convergedAt !== undefined && Date.now() - convergedAt >= opts.stableMs ? 'converged' : undefined;
    },
    { deadline: start + opts.timeoutMs, signal: opts.signal, fallbackMs: opts.stableMs === undefined ? opts.fallbackMs : Math.min(opts.fallbackMs ?? 500, 500) },
  );
  return { state: settled ?? 'timeout', message: escapeLog(last?.Message ?? ''), waitedMs: Date.now() - start };
}

/**
 * Waits until every replica of a service runs its current spec, looking again on each event of
 * its containers (start, health, exit); false when the deadline comes first.
 */
export async function untilReplicasRun(name: string, opts: { deadline: number; signal?: AbortSignal }): Promise<boolean> {
  const done = await untilChanged(
    ['type=container', `label=com.docker.swarm.service.name=${name}`],
    async () => {
      const svc = await inspectService(name);
      return svc && (await runsSpec(svc)) ? true : undefined;
    },
    opts,
  );
  return done === true;
}

/** Every replica running the service's current spec (its image, digest included), none other. */
async function runsSpec(svc: ServiceInspect): Promise<boolean> {
  const want = svc.Spec.Mode?.Replicated?.Replicas;
  const running = (await serviceTasks(svc.ID)).filter((t) => t.DesiredState === 'Running');
  return want !== undefined && running.length === want && running.every((t) => t.CurrentState.startsWith('Running') && t.Image === svc.Spec.TaskTemplate.ContainerSpec.Image);
}

export interface ServiceTask {
  ID: string;
  Name: string;
  Image: string;
  DesiredState: string;
  CurrentState: string;
  Error: string;
}

export async function serviceTasks(name: string): Promise<ServiceTask[]> {
  return (await dockerLines(['service', 'ps', '--no-trunc', '--format', '{{json .}}', name])).map((l) => JSON.parse(l) as ServiceTask);
}

/** Scales a replicated service, detached (the caller waits as it needs). */
export async function scaleService(name: string, replicas: number, opts: ExecOptions = {}): Promise<void> {
  await dockerOk(['service', 'scale', '--detach', `${name}=${replicas}`], { what: `Scaling the service ${name}`, silent: true, ...opts });
}

/** Adds labels to a service's own spec: the tasks are not touched (no restart). */
export async function updateServiceLabels(name: string, labels: Record<string, string>, opts: ExecOptions = {}): Promise<void> {
  const args = Object.entries(labels).flatMap(([k, v]) => ['--label-add', `${k}=${v}`]);
  await dockerOk(['service', 'update', '--detach', ...args, name], { what: `Labelling the service ${name}`, silent: true, ...opts });
}

/**
 * A swarm secret named `<prefix>-<first 12 hex of the content's sha256>`, created from stdin
 * unless it exists (secrets are immutable: new content, new name). Returns its name.
 */
export async function createSecret(prefix: string, content: string, opts: ExecOptions = {}): Promise<string> {
  const name = `${prefix}-${createHash('sha256').update(content).digest('hex').slice(0, 12)}`;
  if ((await docker(['secret', 'inspect', name], { silent: true })).code === 0) return name;
  await dockerOk(['secret', 'create', name, '-'], { what: `Creating the secret ${name}`, silent: true, stdin: content, ...opts });
  return name;
}

/** Runs argv in each container; how many ran it (a container that stopped meanwhile is skipped), throwing if one fails. */
export async function execInContainers(ids: readonly string[], argv: readonly string[], opts: ExecOptions = {}): Promise<number> {
  let ran = 0;
  for (const c of await inspectContainers(ids)) {
    if (!c.State?.Running) continue;
    await dockerOk(['exec', c.Id, ...argv], { what: `${argv[0]} in ${c.Name.replace(/^\//, '')}`, silent: true, ...opts });
    ran++;
  }
  return ran;
}

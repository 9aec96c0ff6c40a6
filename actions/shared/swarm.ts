/** Swarm services and stacks through the docker CLI (docker.ts runs it). */
import { createHash } from 'node:crypto';
import { docker, dockerJson, dockerLines, dockerOk, listByLabel, untilChanged } from './docker';
import { escapeLog, type ExecOptions } from './exec';

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

/**
 * Removes a stack and waits until its tasks (`--detach=false`, docker CLI 26 and later) and its
 * networks are gone: swarm removes a network only once its tasks have ended, and until then a
 * deploy of the same stack finds the network by name and fails with "network … not found".
 */
export async function stackRemove(stack: string, opts: ExecOptions & { deadline: number }): Promise<void> {
  await dockerOk(['stack', 'rm', '--detach=false', stack], { what: `Removing the stack ${stack}`, silent: true, ...opts });
  const label = `com.docker.stack.namespace=${stack}`;
  const networksGone = async () => ((await listByLabel('network', label)).length === 0 ? true : undefined);
  if (!(await untilChanged(['type=network', `label=${label}`], networksGone, opts)))
    throw new Error(`the networks of the stack ${stack} were still there at the deadline`);
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
    TaskTemplate: {
      ContainerSpec: {
        Image: string;
        Env?: string[];
        Mounts?: { Type: string; Source?: string; Target: string }[];
        Secrets?: { SecretName: string; File?: { Name: string } }[];
      };
    };
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
  /** Secrets taken from the tasks, by name (in the same update as secretAdd, which may reuse their target). */
  secretRm?: readonly string[];
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
  for (const secret of update.secretRm ?? []) args.push('--secret-rm', secret);
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
 * `onTasks` sees each listing of the service's tasks it makes while it waits.
 */
export async function waitForUpdate(
  name: string,
  before: string | undefined,
  opts: { timeoutMs: number; fallbackMs?: number; signal?: AbortSignal; stableMs?: number; onTasks?: (tasks: readonly ServiceTask[]) => void },
): Promise<UpdateOutcome> {
  const start = Date.now();
  let last: ServiceInspect['UpdateStatus'];
  const converged = steadyFor(opts.stableMs ?? 0);
  const settled = await untilChanged(
    ['type=service', `service=${name}`, ...(opts.stableMs === undefined ? [] : ['type=container', `label=com.docker.swarm.service.name=${name}`])],
    async (): Promise<UpdateOutcome['state'] | undefined> => {
      const svc = await inspectService(name);
      last = svc?.UpdateStatus;
      const ours = last && last.StartedAt !== before;
      if (ours && SETTLED.has(last!.State)) return last!.State as UpdateOutcome['state'];
      if (opts.stableMs === undefined || !svc || (ours && last!.State !== 'updating')) return undefined;
      const tasks = await serviceTasks(svc.ID);
      opts.onTasks?.(tasks); // the caller's progress, from the same listing
      return converged(runsSpec(svc, tasks)) ? 'converged' : undefined;
    },
    { deadline: start + opts.timeoutMs, signal: opts.signal, fallbackMs: opts.stableMs === undefined ? opts.fallbackMs : Math.min(opts.fallbackMs ?? 500, 500) },
  );
  return { state: settled ?? 'timeout', message: escapeLog(last?.Message ?? ''), waitedMs: Date.now() - start };
}

/**
 * Waits until every replica of a service runs its current spec, looking again on each event of
 * its containers (start, health, exit): `running` once they have for `stableMs` on end (as
 * `docker service create` verifies a new service: a task that exits at once runs for a moment);
 * `failing` once `failures` tasks of the spec's image have failed (swarm would go on restarting
 * them until the deadline); `timeout`.
 */
export async function untilReplicasRun(
  name: string,
  opts: { deadline: number; signal?: AbortSignal; failures?: number; stableMs?: number },
): Promise<'running' | 'failing' | 'timeout'> {
  const running = steadyFor(opts.stableMs ?? 0);
  const done = await untilChanged(
    ['type=container', `label=com.docker.swarm.service.name=${name}`],
    async (): Promise<'running' | 'failing' | undefined> => {
      const svc = await inspectService(name);
      if (!svc) return undefined;
      const tasks = await serviceTasks(svc.ID); // one listing answers both questions
      if (opts.failures && failedOf(tasks, svc.Spec.TaskTemplate.ContainerSpec.Image).length >= opts.failures) return 'failing';
      return running(runsSpec(svc, tasks)) ? 'running' : undefined;
    },
    { ...opts, fallbackMs: opts.stableMs ? Math.min(500, opts.stableMs) : undefined },
  );
  return done ?? 'timeout';
}

/**
 * The tasks of `name` (of `image`, when given) that failed or were rejected, as `docker service
 * ps` lists them, each with swarm's error; with `exited`, those that exited 0 too (a process that
 * exits 0 on the stop signal swarm sends an unhealthy container ends so, and swarm keeps no error
 * for it). Only the failed count towards giving up: a task that exits 0 while a dependency starts
 * is restarted by swarm until it stays.
 */
export async function failedTasks(name: string, image?: string, exited = false): Promise<ServiceTask[]> {
  return failedOf(await serviceTasks(name), image, exited);
}

function failedOf(tasks: readonly ServiceTask[], image?: string, exited = false): ServiceTask[] {
  const ended = exited ? /^(Failed|Rejected|Complete)/ : /^(Failed|Rejected)/;
  return tasks.filter((t) => (!image || t.Image === image) && ended.test(t.CurrentState));
}

/**
 * Pure but for the clock: told on each look whether a condition holds, says whether it has held
 * on end for `ms` (a look that finds it broken starts the count again).
 */
function steadyFor(ms: number): (holds: boolean) => boolean {
  let since: number | undefined;
  return (holds) => {
    since = holds ? (since ?? Date.now()) : undefined;
    return since !== undefined && Date.now() - since >= ms;
  };
}

/** The last lines a task wrote, stdout and stderr, as `docker service logs` keeps them; escaped, since they are the task's words. */
export async function taskLogTail(taskId: string, lines = 10): Promise<string[]> {
  if (!/^[a-z0-9]+$/.test(taskId)) return []; // an id as swarm makes them, never an option
  const res = await docker(['service', 'logs', '--raw', '--tail', String(lines), taskId], { silent: true });
  return res.code === 0 ? res.tail.filter((l) => l.trim()).slice(-lines).map(escapeLog) : [];
}

/**
 * Why a service's tasks fail, in a few lines: swarm's error for each failed task (the last
 * three), and the last lines the newest one wrote.
 */
export async function failureReport(name: string, image?: string, lines = 10): Promise<string[]> {
  const failed = await failedTasks(name, image, true);
  if (!failed.length) return [];
  const out = [`${failed.length} task${failed.length === 1 ? '' : 's'} failed; swarm says: ${failed.slice(0, 3).map((t) => `${escapeLog(t.Name)}: ${escapeLog(t.Error || t.CurrentState)}`).join('; ')}`];
  const tail = await taskLogTail(failed[0]!.ID, lines);
  if (tail.length) out.push(`the last lines of ${escapeLog(failed[0]!.Name)}:`, ...tail.map((l) => `  ${l}`));
  return out;
}

/** Every replica running the service's current spec (its image, digest included), none other, as `tasks` (its listing) shows. */
function runsSpec(svc: ServiceInspect, tasks: readonly ServiceTask[]): boolean {
  const want = svc.Spec.Mode?.Replicated?.Replicas;
  const running = tasks.filter((t) => t.DesiredState === 'Running');
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

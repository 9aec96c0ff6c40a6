/**
 * The swarm target: the deploy steps as docker CLI calls on a swarm manager (the toolkit's swarm
 * services and stacks). Swarm has no "upgraded, waiting for confirmation" state: an update
 * completes by itself, so `finish` has nothing to do, and `rollback` is swarm's own (one level).
 */
import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  failureReport,
  inspectService,
  serviceTasks,
  rollbackService,
  scaleService,
  stackDeploy,
  stackRemove,
  stackServices,
  swarmState,
  updateService,
  waitForUpdate,
  SETTLED,
  untilReplicasRun,
  type ServiceInspect,
  type ServiceTask,
} from '../../shared/swarm';
import { tempDir, type RunnerContext } from '../../shared/context';
import { activeStack, switchLoadBalancer, useCertificate } from './swarm-lb';
import { StepFailure } from '../../shared/action';
import type { Certificate, RolloutInputs } from './config';
import { runningImage, swarmStackFile, type Rollout } from './plan';
import type { DeployTarget, Progress, ServiceStatus, StackSpec, UpgradeResult } from './target';

/** swarm's own default --update-monitor: how long a new task must run before its batch counts as done. */
const MONITOR_SECONDS = 5;
/** Tasks of one spec that may fail before a wait gives up on it (swarm would restart them until the timeout). */
const FAILURES = 3;

/** swarm's UpdateStatus.State, in Rancher's words. */
const STATES: Record<string, string> = {
  updating: 'upgrading',
  paused: 'canceled-upgrade',
  rollback_started: 'upgrading',
  rollback_paused: 'canceled-upgrade',
};

export class SwarmTarget implements DeployTarget {
  readonly name = 'swarm';

  constructor(
    private readonly ctx: Pick<RunnerContext, 'temp'>,
    private readonly inputs: RolloutInputs,
    private readonly signal?: AbortSignal,
  ) {}

  async connect(): Promise<void> {
    const state = await swarmState();
    if (state !== 'active') throw new StepFailure(`The docker daemon is not in a swarm (Swarm.LocalNodeState is ${state}): run this on a swarm manager`, 1);
  }

  async stackExists(stack: string): Promise<boolean> {
    return (await stackServices(stack)).length > 0;
  }

  /**
   * A new stack, waited for until every replica runs. One that does not come up is removed: it
   * did not exist before this deploy, and swarm has no earlier version of it to go back to.
   */
  async createStack(stack: string, spec: StackSpec, deadline: number): Promise<void> {
    await this.deployStack(stack, spec);
    try {
      await Promise.all((await stackServices(stack)).map((name) => this.untilConverged(name, deadline)));
    } catch (err) {
      const removed = await stackRemove(stack, { deadline: Math.max(deadline, Date.now() + 60_000) }).then(
        () => 'is removed',
        (e: Error) => `could not be removed (${e.message}): remove it with docker stack rm ${stack}`,
      );
      throw new StepFailure(`${(err as Error).message}\nThe stack ${stack}, which this deploy created, ${removed}: there was no earlier version to go back to`, 1);
    }
  }

  /** `docker stack deploy` of the stack file as written, `spec.services` on `spec.image`, from a private folder. */
  private async deployStack(stack: string, spec: StackSpec): Promise<void> {
    const dir = tempDir(this.ctx, 'stack-');
    try {
      const file = path.join(dir, 'stack.yml');
      fs.writeFileSync(file, swarmStackFile(spec.files, spec.variables, spec.image, spec.services, this.inputs), { mode: 0o600 });
      await stackDeploy(stack, [file], { withRegistryAuth: true, signal: this.signal, cwd: dir });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Per stack, once a run: what each service to upgrade was before the stack was deployed again. */
  private readonly applied = new Map<string, Promise<Map<string, ServiceInspect | undefined>>>();

  /**
   * The stack file applied as written, so its edits and variables reach a stack that exists (as
   * they reach a new one), once, whichever of its services' upgrades asks first.
   */
  private applyOnce(stack: string, spec: StackSpec): Promise<Map<string, ServiceInspect | undefined>> {
    let done = this.applied.get(stack);
    if (!done) {
      done = (async () => {
        const before = new Map<string, ServiceInspect | undefined>();
        for (const service of spec.services) before.set(service, await inspectService(`${stack}_${service}`));
        await this.deployStack(stack, spec);
        return before;
      })();
      this.applied.set(stack, done);
    }
    return done;
  }

  /** Every replica running (with a health check: healthy) for swarm's monitor period; given up when its tasks keep failing, with why. */
  private async untilConverged(name: string, deadline: number): Promise<void> {
    const outcome = await untilReplicasRun(name, { deadline, signal: this.signal, failures: FAILURES, stableMs: MONITOR_SECONDS * 1000 });
    if (outcome === 'running') return;
    const why = await failureReport(name);
    const what = outcome === 'failing' ? `its tasks keep failing` : `not every replica was running when the timeout ran out`;
    throw new StepFailure([`Service ${name}: ${what}`, ...why].join('\n'), 1);
  }

  async status(stack: string, service: string): Promise<ServiceStatus | undefined> {
    const svc = await inspectService(`${stack}_${service}`);
    if (!svc) return undefined;
    return { image: runningImage(svc.Spec.TaskTemplate.ContainerSpec.Image), state: STATES[svc.UpdateStatus?.State ?? ''] ?? 'active' };
  }

  /**
   * Swarm carries an update on by itself, even when the run that started it died: one still
   * under way is waited for first. Only one it left paused is then resumed (finish) or rolled back.
   */
  async settle(stack: string, service: string, how: 'finish' | 'rollback', deadline: number): Promise<string> {
    const name = `${stack}_${service}`;
    const timeoutMs = () => Math.max(1, deadline - Date.now());
    let status = (await inspectService(name))?.UpdateStatus;
    if (status && !SETTLED.has(status.State)) {
      const outcome = await waitForUpdate(name, undefined, { timeoutMs: timeoutMs(), signal: this.signal });
      if (outcome.state === 'timeout') throw new StepFailure(`Service ${name}: the earlier update did not settle in time`, 1);
      status = (await inspectService(name))?.UpdateStatus;
    }
    if (status?.State !== 'paused' && status?.State !== 'rollback_paused') return `swarm took it to ${status?.State ?? 'rest'} by itself`;
    if (how === 'rollback') await rollbackService(name, { signal: this.signal });
    else await updateService(name, {}, { signal: this.signal }); // an update with nothing changed resumes a paused one
    const outcome = await waitForUpdate(name, status.StartedAt, { timeoutMs: timeoutMs(), signal: this.signal });
    if (outcome.state === 'timeout' || outcome.state.endsWith('paused')) throw new StepFailure(`Service ${name}: the earlier update ${outcome.state} when brought to rest`, 1);
    return `${how === 'finish' ? 'resumed' : 'rolled back'}: ${outcome.state}`;
  }

  /** Swarm pulls on each node as it starts a task (resolving the digest first, with the registry login passed on). */
  async pull(): Promise<void> {}

  /**
   * `docker stack deploy` of the stack as written, the new image pinned to its digest (with the
   * registry login) and rolled out as the file's update_config says (the rollout, failure action
   * rollback, swarm's 5 s monitor); then this service's update waited for.
   */
  async upgrade(stack: string, service: string, image: string, _rollout: Rollout, deadline: number, onProgress: (p: Progress) => void, spec: StackSpec): Promise<UpgradeResult> {
    const name = `${stack}_${service}`;
    const start = Date.now();
    const current = (await this.applyOnce(stack, spec)).get(service);
    const now = await inspectService(name);
    const replicas = now?.Spec.Mode?.Replicated?.Replicas; // as the stack file says
    // The same spec (the image at the same digest, the same settings) changes nothing: swarm starts no update to wait for.
    if (JSON.stringify(now?.Spec) === JSON.stringify(current?.Spec)) {
      onProgress({ service, atMs: Date.now() - start, message: `already runs ${image} at the same digest, as the stack file says: nothing to update` });
      return { ok: true, waitedMs: Date.now() - start };
    }
    const pinned = now?.Spec.TaskTemplate.ContainerSpec.Image;
    // Each replica slot whose task of the new spec starts, then runs (swarm holds a task whose
    // image has a health check in Starting until it is healthy), is a step of progress, as the
    // manager lists the tasks of every node: a slot counts once, however often swarm restarts it.
    const started = new Set<string>();
    const healthy = new Set<string>();
    const count = (tasks: readonly ServiceTask[]) => {
      const before = started.size + healthy.size;
      for (const t of tasks) {
        if (t.Image !== pinned) continue; // the old spec's tasks (a rollback) are no progress
        const slot = t.Name.slice(t.Name.lastIndexOf('.') + 1);
        if (/^(Starting|Running)/.test(t.CurrentState)) started.add(slot);
        if (/^Running/.test(t.CurrentState)) healthy.add(slot);
      }
      if (started.size + healthy.size !== before) onProgress({ service, atMs: Date.now() - start, message: `${started.size} of ${replicas ?? '?'} new containers started, ${healthy.size} healthy` });
    };
    // Done once every replica has run the new image for the monitor period, as `docker service update` waits.
    const outcome = await waitForUpdate(name, current?.UpdateStatus?.StartedAt, { timeoutMs: Math.max(1, deadline - Date.now()), signal: this.signal, stableMs: MONITOR_SECONDS * 1000, onTasks: count });
    const waitedMs = Date.now() - start;
    count(await serviceTasks(name)); // the tasks as the update left them
    if (outcome.state === 'completed' || outcome.state === 'converged') return { ok: true, waitedMs };
    const why = (await failureReport(name, pinned)).map((l) => `\n${l}`).join('');
    if (outcome.state === 'timeout') return { ok: false, waitedMs, reason: `not healthy within the timeout of ${Math.round((deadline - start) / 1000)} s (${healthy.size} of ${replicas ?? '?'} new containers healthy)${why}` };
    return { ok: false, waitedMs, reason: `swarm reports the update ${outcome.state}${outcome.message ? `: ${outcome.message}` : ''} (${healthy.size} of ${replicas ?? '?'} new containers healthy)${why}` };
  }

  async finish(): Promise<void> {
    core.info('Swarm completes an update by itself: nothing to confirm');
  }

  async rollback(stack: string, service: string, deadline: number): Promise<void> {
    const name = `${stack}_${service}`;
    const svc = await inspectService(name);
    if (svc?.UpdateStatus?.State === 'rollback_completed') return; // swarm already did
    if (svc && !svc.PreviousSpec) throw new StepFailure(`Service ${name} has no earlier version to roll back to: it has run only this spec since it was created`, 1);
    await rollbackService(name, { signal: this.signal });
    const outcome = await waitForUpdate(name, svc?.UpdateStatus?.StartedAt, { timeoutMs: Math.max(1, deadline - Date.now()), signal: this.signal });
    if (outcome.state !== 'rollback_completed' && outcome.state !== 'completed')
      throw new StepFailure(`Service ${name}: the rollback ended ${outcome.state}${outcome.message ? `: ${outcome.message}` : ''}`, 1);
  }

  activeStack(lb: string): Promise<string | undefined> {
    return activeStack(lb);
  }

  /** Every running task of the load balancer, on any node, through the swarm API (swarm-lb.ts). */
  switchTo(lb: string, stack: string, _rancherCompose: string, _base: string, deadline: number): Promise<void> {
    return switchLoadBalancer(lb, stack, { deadline, signal: this.signal });
  }

  async scale(stack: string, scales: Record<string, number>, deadline: number): Promise<void> {
    for (const [service, n] of Object.entries(scales)) await scaleService(`${stack}_${service}`, n, { signal: this.signal });
    await Promise.all(Object.entries(scales).map(([service, n]) => (n > 0 ? this.untilConverged(`${stack}_${service}`, deadline) : undefined)));
  }

  useCertificate(lb: string, cert: Certificate, deadline: number): Promise<boolean> {
    return useCertificate(lb, cert, { deadline, signal: this.signal });
  }
}

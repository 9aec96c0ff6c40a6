/**
 * The rancher target: the deploy steps as Rancher 1.6 API calls (actions/shared/rancher.ts),
 * as a real server answers them (shared/reference/rancher-1.6-conformance.md). The load
 * balancer's steps are in rancher-lb.ts.
 */
import * as core from '@actions/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { escapeLog } from '../../shared/exec';
import { Rancher, RancherError, type Resource } from '../../shared/rancher';
import type { Certificate, RancherAccess } from './config';
import { runningImage, loadBalancerOf, type Rollout } from './plan';
import { activeStack, switchTo, useCertificate } from './rancher-lb';
import { toRancherDialect } from './rancher-dialect';
import type { DeployTarget, Progress, ServiceStatus, StackSpec, UpgradeResult } from './target';

/** V18: healthy, updating-healthy, and a start-once service that has run. */
export const HEALTHY = new Set(['healthy', 'updating-healthy', 'started-once']);
/** States a process is still moving through (V11): waited out before anything is decided. */
const PASSING = new Set(['rolling-back', 'finishing-upgrade', 'canceling-upgrade', 'updating-active', 'activating', 'upgrading-rollback']);
export const POLL_MS = 500;

export class RancherTarget implements DeployTarget {
  readonly name = 'rancher';
  readonly api: Rancher;

  private readonly signal?: AbortSignal;
  private readonly settleMs: number;

  constructor(access: RancherAccess, opts: { timeoutMs: number; retries: number; settleMs: number; signal?: AbortSignal }) {
    this.signal = opts.signal;
    this.settleMs = opts.settleMs;
    this.api = new Rancher({ ...access, environment: access.environment || undefined, ...opts });
  }

  async connect(): Promise<void> {
    const project = await this.api.connect();
    core.info(`Rancher ${this.api.version} at ${this.api.origin}${project ? `, environment ${escapeLog(String(project.name))} (${escapeLog(project.id)})` : ''}`);
  }

  private readonly stacks = new Map<string, Resource>();

  /** A stack found once keeps its id for the rest of the run. */
  async findStack(name: string): Promise<Resource | undefined> {
    const known = this.stacks.get(name);
    if (known) return known;
    const found = await this.api.findStack(name);
    if (found) this.stacks.set(name, found);
    return found;
  }

  async stackExists(stack: string): Promise<boolean> {
    return Boolean(await this.findStack(stack));
  }

  async stack(name: string): Promise<Resource> {
    const st = await this.findStack(name);
    if (!st) throw new RancherError(`Stack ${escapeLog(name)} not found`, 404);
    return st;
  }

  /** The service, once any process it is in the middle of has ended (V11). */
  private async service(stack: string, name: string): Promise<Resource> {
    const svc = await this.api.findService(await this.stack(stack), name);
    if (!svc) throw new RancherError(`Service ${escapeLog(name)} not found in the stack ${escapeLog(stack)}`, 404);
    return this.atRest(svc, stack);
  }

  private async atRest(svc: Resource, stack: string): Promise<Resource> {
    if (!PASSING.has(String(svc.state))) return svc;
    const name = escapeLog(String(svc.name));
    core.info(`${name} is ${escapeLog(String(svc.state))}: waiting until that ends`);
    const rest = await this.api.waitFor(svc, (s) => !PASSING.has(String(s.state)), { deadline: Date.now() + this.settleMs, pollMs: POLL_MS });
    if (!rest) throw new RancherError(`Service ${name} in ${escapeLog(stack)} stayed ${escapeLog(String(svc.state))} for ${Math.round(this.settleMs / 1000)} s`, 504);
    return rest;
  }

  /**
   * V9, V10: the files in Rancher's dialect (refused before any request if they cannot be),
   * the stack created, then waited for until it is active and its services healthy; an
   * executor error ends it at transitioning error, whose message is the step's error.
   */
  async createStack(stack: string, spec: StackSpec, deadline: number): Promise<void> {
    const needsLbImage = !spec.withoutLb && loadBalancerOf(spec.files.rancherCompose) !== undefined;
    const files = toRancherDialect(spec.files.dockerCompose, spec.files.rancherCompose, {
      composeFile: 'compose-file',
      rancherComposeFile: 'rancher-compose-file',
      variables: spec.variables,
      image: spec.image,
      services: spec.services,
      withoutLb: spec.withoutLb,
      lbImage: needsLbImage ? await this.lbImage() : '',
    });
    for (const note of files.notes) core.info(escapeLog(note));
    const st = await this.api.create(this.api.stacks, { name: stack, dockerCompose: files.dockerCompose, rancherCompose: files.rancherCompose, environment: spec.variables, startOnCreate: true });
    const active = await this.api.waitFor(st, (s) => s.transitioning !== 'yes', { deadline, pollMs: POLL_MS });
    if (active?.transitioning === 'error') throw new RancherError(`Rancher could not create the stack ${escapeLog(stack)}: ${escapeLog(String(active.transitioningMessage ?? 'no message'))}`, 422);
    if (!active || active.state !== 'active') throw new RancherError(`The stack ${escapeLog(stack)} did not become active in time`, 504);
    this.stacks.set(stack, active);
    for (const svc of await this.api.list(active.links.services!)) await this.untilHealthy(svc, deadline);
  }

  /** V23: the load balancer image the server would use. */
  async lbImage(): Promise<string> {
    const setting = await this.api.request<{ value?: string; activeValue?: string }>('GET', '/settings/lb.instance.image').catch((err: unknown) => {
      throw new RancherError(`Reading the server's setting lb.instance.image (the load balancer image): ${(err as Error).message}; name the image in the compose file instead`, 502);
    });
    const image = setting.activeValue || setting.value;
    if (!image) throw new RancherError("The server's setting lb.instance.image is empty; name the load balancer's image in the compose file", 502);
    return image;
  }

  async untilHealthy(svc: Resource, deadline: number): Promise<Resource> {
    const done = await this.api.waitFor(svc, (s) => s.state === 'active' && s.transitioning !== 'yes' && HEALTHY.has(String(s.healthState)), { deadline, pollMs: POLL_MS });
    if (!done) throw new RancherError(`Service ${escapeLog(String(svc.name))} did not become active and healthy in time`, 504);
    return done;
  }

  async status(stack: string, service: string): Promise<ServiceStatus | undefined> {
    const st = await this.findStack(stack);
    const found = st && (await this.api.findService(st, service));
    if (!found) return undefined;
    const svc = await this.atRest(found, stack);
    return { image: runningImage(String((svc.launchConfig as { imageUuid?: string })?.imageUuid ?? '')), state: String(svc.state) };
  }

  async settle(stack: string, service: string, how: 'finish' | 'rollback', deadline: number): Promise<string> {
    let svc = await this.service(stack, service);
    if (how === 'rollback') {
      svc = await this.api.action(svc, 'rollback');
    } else {
      if (svc.state === 'canceled-upgrade') svc = await this.api.action(svc, 'continueupgrade');
      const upgraded = await this.api.waitFor(svc, (s) => s.state === 'upgraded', { deadline, pollMs: POLL_MS });
      if (!upgraded) throw new RancherError(`Service ${escapeLog(service)} did not reach upgraded in time to be finished`, 504);
      svc = await this.api.action(upgraded, 'finishupgrade');
    }
    const active = await this.untilActive(svc, deadline);
    return `${how === 'finish' ? 'finished' : 'rolled back'}; it runs ${escapeLog(runningImage(String((active.launchConfig as { imageUuid?: string })?.imageUuid ?? '')))}`;
  }

  async untilActive(svc: Resource, deadline: number): Promise<Resource> {
    const done = await this.api.waitFor(svc, (s) => s.state === 'active' && s.transitioning !== 'yes', { deadline, pollMs: POLL_MS });
    if (!done) throw new RancherError(`Service ${escapeLog(String(svc.name))} did not become active in time (still ${escapeLog(String(svc.state))})`, 504);
    return done;
  }

  /** Pre-pulls on every host (rancher-compose's `--pull`): a pull task, waited for; a host that failed is a warning (V25). */
  async pull(image: string): Promise<void> {
    let task = await this.api.create('pulltasks', { mode: 'all', image: `docker:${image}` });
    if (task.transitioning === 'yes') task = (await this.api.waitFor(task, (t) => t.transitioning !== 'yes', { deadline: Date.now() + this.settleMs, pollMs: POLL_MS })) ?? task;
    for (const [host, status] of Object.entries((task.status as Record<string, string> | undefined) ?? {}))
      if (status !== 'Done') core.warning(`Pulling ${escapeLog(image)} on host ${escapeLog(host)}: ${escapeLog(String(status))}`);
  }

  async upgrade(stack: string, service: string, image: string, rollout: Rollout, deadline: number, onProgress: (p: Progress) => void): Promise<UpgradeResult> {
    const start = Date.now();
    const svc = await this.service(stack, service);
    const launchConfig = { ...(svc.launchConfig as { ports?: string[] }), imageUuid: `docker:${image}` };
    delete (launchConfig as { version?: string }).version;
    if (rollout.startFirst && launchConfig.ports?.length)
      core.warning(`${escapeLog(service)} publishes host ports (${escapeLog(launchConfig.ports.join(', '))}) and upgrades start-first: each batch needs a host where they are free, or it waits`);
    const body = { inServiceStrategy: { batchSize: rollout.batchSize, intervalMillis: Math.max(100, rollout.intervalMs), startFirst: rollout.startFirst, launchConfig } };
    let current = await this.api.action(svc, 'upgrade', body);
    // Progress: how many containers of the new image run healthy, logged as it changes.
    let reported = -1;
    for (;;) {
      const instances = await this.api.list(svc.links.instances ?? `${svc.links.self}/instances`);
      const healthyNew = instances.filter((i) => i.imageUuid === `docker:${image}` && i.state === 'running' && (i.healthState === null || HEALTHY.has(String(i.healthState)))).length;
      if (healthyNew !== reported) {
        reported = healthyNew;
        onProgress({ service, atMs: Date.now() - start, message: `${healthyNew} of ${String(svc.scale)} new containers healthy` });
      }
      if (current.state === 'upgraded' && HEALTHY.has(String(current.healthState))) return { ok: true, waitedMs: Date.now() - start };
      if (current.transitioning === 'error') return { ok: false, waitedMs: Date.now() - start, reason: `the upgrade failed: ${escapeLog(String(current.transitioningMessage))}` };
      if (Date.now() >= deadline) {
        const why = current.transitioningMessage ? `; Rancher says: ${escapeLog(String(current.transitioningMessage))}` : '';
        return {
          ok: false,
          waitedMs: Date.now() - start,
          reason: `not healthy within the timeout of ${Math.round((deadline - start) / 1000)} s (state ${escapeLog(String(current.state))}, health ${escapeLog(String(current.healthState))}, ${healthyNew} of ${String(svc.scale)} new containers healthy${why})`,
        };
      }
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())), undefined, { signal: this.signal });
      current = await this.api.reload(current);
    }
  }

  async finish(stack: string, service: string, deadline: number): Promise<void> {
    const svc = await this.service(stack, service);
    if (svc.state === 'active') return;
    await this.untilActive(await this.api.action(svc, 'finishupgrade'), deadline);
  }

  async rollback(stack: string, service: string, deadline: number): Promise<void> {
    const svc = await this.service(stack, service);
    if (svc.state === 'active') return; // nothing in flight (a rollback that ended while we waited)
    await this.untilActive(await this.api.action(svc, 'rollback'), deadline);
  }

  activeStack(lb: string, stack: string): Promise<string | undefined> {
    return activeStack(this, lb, stack);
  }

  switchTo(lb: string, stack: string, rancherCompose: string, base: string): Promise<void> {
    return switchTo(this, lb, stack, rancherCompose, base);
  }

  useCertificate(lb: string, cert: Certificate, deadline: number): Promise<boolean> {
    return useCertificate(this, lb, cert, deadline);
  }

  async scale(stack: string, scales: Record<string, number>, deadline: number): Promise<void> {
    const st = await this.stack(stack);
    for (const listed of await this.api.list(st.links.services!)) {
      const n = scales[String(listed.name)];
      if (n === undefined || listed.scale === n) continue;
      const svc = await this.service(stack, String(listed.name));
      const updated = await this.api.update(svc, { scale: n });
      if (n > 0) await this.untilHealthy(updated, deadline);
      else await this.untilActive(updated, deadline);
    }
  }
}

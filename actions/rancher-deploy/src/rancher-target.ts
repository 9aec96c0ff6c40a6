/** The rancher target: the deploy steps as Rancher 1.x API calls (actions/shared/rancher.ts). */
import * as core from '@actions/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { escapeLog } from '../../shared/exec';
import { Rancher, RancherError, type Resource } from '../../shared/rancher';
import type { Certificate, RancherAccess } from './config';
import { runningImage, loadBalancerOf, rancherStackFiles, type Rollout } from './plan';
import type { DeployTarget, Progress, ServiceStatus, StackSpec, UpgradeResult } from './target';

const HEALTHY = new Set(['healthy', 'updating-healthy']);
const POLL_MS = 500;

export class RancherTarget implements DeployTarget {
  readonly name = 'rancher';
  readonly api: Rancher;

  private readonly signal?: AbortSignal;

  constructor(access: RancherAccess, opts: { timeoutMs: number; retries: number; signal?: AbortSignal }) {
    this.signal = opts.signal;
    this.api = new Rancher({ ...access, environment: access.environment || undefined, ...opts });
  }

  async connect(): Promise<void> {
    const project = await this.api.connect();
    core.info(`Rancher ${this.api.version} at ${this.api.origin}${project ? `, environment ${escapeLog(String(project.name))} (${project.id})` : ''}`);
  }

  private readonly stacks = new Map<string, Resource>();

  /** A stack found once keeps its id for the rest of the run. */
  private async findStack(name: string): Promise<Resource | undefined> {
    const known = this.stacks.get(name);
    if (known) return known;
    const found = await this.api.findStack(name);
    if (found) this.stacks.set(name, found);
    return found;
  }

  async stackExists(stack: string): Promise<boolean> {
    return Boolean(await this.findStack(stack));
  }

  private async stack(name: string): Promise<Resource> {
    const st = await this.findStack(name);
    if (!st) throw new RancherError(`Stack ${name} not found`, 404);
    return st;
  }

  private async service(stack: string, name: string): Promise<Resource> {
    const svc = await this.api.findService(await this.stack(stack), name);
    if (!svc) throw new RancherError(`Service ${name} not found in the stack ${stack}`, 404);
    return svc;
  }

  /** Rancher parses the compose files itself (server-side compose) and interpolates them with the stack's environment. */
  async createStack(stack: string, spec: StackSpec, deadline: number): Promise<void> {
    const files = rancherStackFiles(spec.files, spec.image, spec.services, spec.withoutLb);
    const st = await this.api.create(this.api.stacks, { name: stack, dockerCompose: files.dockerCompose, rancherCompose: files.rancherCompose, environment: spec.variables, startOnCreate: true });
    await this.api.waitFor(st, (s) => s.transitioning !== 'yes' && s.state === 'active', { deadline });
    for (const svc of await this.api.list(st.links.services!)) await this.untilHealthy(svc, deadline);
  }

  private async untilHealthy(svc: Resource, deadline: number): Promise<Resource> {
    const done = await this.api.waitFor(svc, (s) => s.state === 'active' && s.transitioning !== 'yes' && HEALTHY.has(String(s.healthState)), { deadline, pollMs: POLL_MS });
    if (!done) throw new RancherError(`Service ${escapeLog(String(svc.name))} did not become active and healthy in time`, 504);
    return done;
  }

  async status(stack: string, service: string): Promise<ServiceStatus | undefined> {
    const st = await this.findStack(stack);
    const svc = st && (await this.api.findService(st, service));
    if (!svc) return undefined;
    return { image: runningImage(String((svc.launchConfig as { imageUuid?: string })?.imageUuid ?? '')), state: String(svc.state) };
  }

  async settle(stack: string, service: string, how: 'finish' | 'rollback', deadline: number): Promise<string> {
    let svc = await this.service(stack, service);
    if (how === 'rollback') {
      svc = await this.api.action(svc, 'rollback');
    } else {
      if (svc.state === 'canceled-upgrade') svc = await this.api.action(svc, 'continueupgrade');
      const upgraded = await this.api.waitFor(svc, (s) => s.state === 'upgraded', { deadline, pollMs: POLL_MS });
      if (!upgraded) throw new RancherError(`Service ${service} did not reach upgraded in time to be finished`, 504);
      svc = await this.api.action(upgraded, 'finishupgrade');
    }
    const active = await this.untilActive(svc, deadline);
    return `${how === 'finish' ? 'finished' : 'rolled back'}; it runs ${runningImage(String((active.launchConfig as { imageUuid?: string })?.imageUuid ?? ''))}`;
  }

  private async untilActive(svc: Resource, deadline: number): Promise<Resource> {
    const done = await this.api.waitFor(svc, (s) => s.state === 'active' && s.transitioning !== 'yes', { deadline, pollMs: POLL_MS });
    if (!done) throw new RancherError(`Service ${escapeLog(String(svc.name))} did not become active in time (still ${escapeLog(String(svc.state))})`, 504);
    return done;
  }

  /** Pre-pulls on every host (rancher-compose's `--pull`): a pull task, waited for. */
  async pull(image: string): Promise<void> {
    const task = await this.api.create('pulltasks', { mode: 'all', image: `docker:${image}` });
    if (task.transitioning === 'yes') await this.api.waitFor(task, (t) => t.transitioning !== 'yes', { deadline: Date.now() + 600_000, pollMs: POLL_MS });
  }

  async upgrade(stack: string, service: string, image: string, rollout: Rollout, deadline: number, onProgress: (p: Progress) => void): Promise<UpgradeResult> {
    const start = Date.now();
    const svc = await this.service(stack, service);
    const launchConfig = { ...(svc.launchConfig as object), imageUuid: `docker:${image}` };
    delete (launchConfig as { version?: string }).version;
    const body = { inServiceStrategy: { batchSize: rollout.batchSize, intervalMillis: Math.max(100, rollout.intervalMs), startFirst: rollout.startFirst, launchConfig } };
    let current = await this.api.action(svc, 'upgrade', body);
    // Progress: how many containers of the new image run healthy, logged as it changes.
    let reported = -1;
    for (;;) {
      const instances = await this.api.list(`${svc.links.self}/instances`);
      const healthyNew = instances.filter((i) => i.imageUuid === `docker:${image}` && i.state === 'running' && HEALTHY.has(String(i.healthState))).length;
      if (healthyNew !== reported) {
        reported = healthyNew;
        onProgress({ service, atMs: Date.now() - start, message: `${healthyNew} of ${String(svc.scale)} new containers healthy` });
      }
      if (current.state === 'upgraded' && HEALTHY.has(String(current.healthState))) return { ok: true, waitedMs: Date.now() - start };
      if (current.transitioning === 'error') return { ok: false, waitedMs: Date.now() - start, reason: `the upgrade failed: ${escapeLog(String(current.transitioningMessage))}` };
      if (Date.now() >= deadline)
        return {
          ok: false,
          waitedMs: Date.now() - start,
          reason: `not healthy within the timeout of ${Math.round((deadline - start) / 1000)} s (state ${escapeLog(String(current.state))}, health ${escapeLog(String(current.healthState))}, ${healthyNew} of ${String(svc.scale)} new containers healthy)`,
        };
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
    await this.untilActive(await this.api.action(svc, 'rollback'), deadline);
  }

  private async loadBalancer(lb: string): Promise<{ stackName: string; serviceName: string; svc?: Resource }> {
    const [stackName, serviceName] = lb.split('/') as [string, string];
    const st = await this.findStack(stackName);
    const found = st && (await this.api.findByName('loadbalancerservices', serviceName, { [this.api.stackIdField]: st.id }));
    return { stackName, serviceName, svc: found };
  }

  async activeStack(lb: string): Promise<string | undefined> {
    const { svc } = await this.loadBalancer(lb);
    const rules = ((svc?.lbConfig as { portRules?: { serviceId?: string }[] } | undefined)?.portRules ?? []).filter((r) => r.serviceId);
    if (!rules[0]) return undefined;
    const target = await this.api.request<Resource>('GET', `/services/${rules[0].serviceId}`);
    const stackId = String(target[this.api.stackIdField] ?? target.stackId);
    const st = await this.api.request<Resource>('GET', `/${this.api.stacks}/${stackId}`);
    return String(st.name);
  }

  /**
   * One PUT of the whole lbConfig with every rule's serviceId moved to the service of the same
   * name in `stack` (section 1.13: the nested rules are replaced, so the whole object goes).
   */
  async switchTo(lb: string, stack: string, rancherCompose: string): Promise<void> {
    const { stackName, serviceName, svc } = await this.loadBalancer(lb);
    const target = await this.stack(stack);
    const serviceIds = new Map<string, string>();
    for (const s of await this.api.list(target.links.services!)) serviceIds.set(String(s.name), s.id);
    if (!svc) return this.createLoadBalancer(stackName, serviceName, rancherCompose, serviceIds);
    const lbConfig = svc.lbConfig as { portRules?: { serviceId?: string }[] };
    const names = new Map<string, string>();
    for (const rule of lbConfig.portRules ?? [])
      if (rule.serviceId && !names.has(rule.serviceId)) names.set(rule.serviceId, String((await this.api.request<Resource>('GET', `/services/${rule.serviceId}`)).name));
    const portRules = (lbConfig.portRules ?? []).map((rule) => {
      const name = rule.serviceId ? names.get(rule.serviceId) : undefined;
      const id = name ? serviceIds.get(name) : undefined;
      if (name && !id) throw new RancherError(`The stack ${stack} has no service ${escapeLog(name)} for the load balancer's rule`, 422);
      return id ? { ...rule, serviceId: id } : rule;
    });
    await this.api.update(svc, { lbConfig: { ...lbConfig, portRules } });
  }

  private async createLoadBalancer(stackName: string, serviceName: string, rancherCompose: string, serviceIds: Map<string, string>): Promise<void> {
    const def = loadBalancerOf(rancherCompose);
    if (!def) throw new RancherError(`No load balancer ${stackName}/${serviceName}, and rancher-compose.yml describes none (a service with lb_config) to create it from`, 404);
    const st = (await this.findStack(stackName)) ?? (await this.api.create(this.api.stacks, { name: stackName, startOnCreate: true }));
    const portRules = def.portRules.map((r) => ({ sourcePort: r.sourcePort, targetPort: r.targetPort, protocol: r.protocol, serviceId: serviceIds.get(r.service) }));
    const lb = await this.api.create('loadbalancerservices', {
      name: serviceName,
      [this.api.stackIdField]: st.id,
      scale: def.scale,
      startOnCreate: true,
      launchConfig: { imageUuid: 'docker:rancher/lb-service-haproxy:v0.7.15', ports: def.portRules.map((r) => `${r.sourcePort}:${r.sourcePort}/tcp`) },
      lbConfig: { portRules },
    });
    await this.untilActive(lb, Date.now() + 300_000);
  }

  async scale(stack: string, scales: Record<string, number>, deadline: number): Promise<void> {
    const st = await this.stack(stack);
    for (const svc of await this.api.list(st.links.services!)) {
      const n = scales[String(svc.name)];
      if (n === undefined || svc.scale === n) continue;
      const updated = await this.api.update(svc, { scale: n });
      if (n > 0) await this.untilHealthy(updated, deadline);
    }
  }

  async useCertificate(lb: string, cert: Certificate): Promise<boolean> {
    const existing = await this.api.findByName('certificates', cert.name);
    const stored = existing ? await this.api.update(existing, { cert: cert.cert, key: cert.key }) : await this.api.create('certificates', { name: cert.name, cert: cert.cert, key: cert.key });
    const { svc } = await this.loadBalancer(lb);
    if (!svc) throw new RancherError(`No load balancer ${lb} to put the certificate on`, 404);
    const lbConfig = svc.lbConfig as { portRules?: { sourcePort?: number; targetPort?: number; protocol?: string; serviceId?: string }[]; certificateIds?: string[] };
    const rules = lbConfig.portRules ?? [];
    const first = rules.find((r) => r.protocol !== 'https');
    const tls = rules.some((r) => r.sourcePort === cert.httpsPort)
      ? rules
      : [...rules, ...(first ? [{ sourcePort: cert.httpsPort, targetPort: first.targetPort, protocol: 'https', serviceId: first.serviceId }] : [])];
    await this.api.update(svc, { lbConfig: { ...lbConfig, portRules: tls, defaultCertificateId: stored.id, certificateIds: [...new Set([...(lbConfig.certificateIds ?? []), stored.id])] } });
    return true;
  }
}

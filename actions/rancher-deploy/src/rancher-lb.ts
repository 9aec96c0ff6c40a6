/**
 * The load balancer of a blue-green deploy on Rancher 1.6: which colour it sends traffic to,
 * the switch, its creation, and HTTPS. A shared load balancer keeps its other rules: only the
 * rules whose service is in one of the deploy's colour stacks move. A rule on a port the load
 * balancer does not publish is unreachable (V21, V22), so a new port is published the way
 * Rancher's UI does it: an upgrade with the new launchConfig.
 */
import * as core from '@actions/core';
import { escapeLog } from '../../shared/exec';
import type { Resource } from '../../shared/rancher';
import { RancherError, sameId } from '../../shared/rancher-wire';
import type { Certificate } from './config';
import { colorStack, loadBalancerOf } from './plan';
import { POLL_MS, type RancherTarget } from './rancher-target';

interface PortRule {
  sourcePort?: number;
  targetPort?: number;
  protocol?: string;
  serviceId?: string;
  [field: string]: unknown;
}
interface LbConfig {
  portRules?: PortRule[];
  certificateIds?: string[];
  defaultCertificateId?: string;
  [field: string]: unknown;
}

async function findLoadBalancer(t: RancherTarget, lb: string): Promise<{ stackName: string; serviceName: string; svc?: Resource }> {
  const [stackName, serviceName] = lb.split('/') as [string, string];
  const st = await t.findStack(stackName);
  const svc = st && (await t.api.findService(st, serviceName, 'loadbalancerservices'));
  return { stackName, serviceName, svc };
}

/** The ids of `base`'s colour stacks that exist, by colour stack name. */
async function colourStacks(t: RancherTarget, base: string): Promise<Map<string, Resource>> {
  const out = new Map<string, Resource>();
  for (const name of [colorStack(base, 'blue'), colorStack(base, 'green')]) {
    const st = await t.findStack(name);
    if (st) out.set(name, st);
  }
  return out;
}

/** The colour stack the rules of `base` send traffic to, if any. */
export async function activeStack(t: RancherTarget, lb: string, base: string): Promise<string | undefined> {
  const { svc } = await findLoadBalancer(t, lb);
  const colours = await colourStacks(t, base);
  for (const rule of (svc?.lbConfig as LbConfig | undefined)?.portRules ?? []) {
    if (!rule.serviceId) continue;
    const target = await t.api.request<Resource>('GET', `/services/${encodeURIComponent(rule.serviceId)}`);
    for (const [name, st] of colours) if (sameId(target.stackId ?? target.environmentId, st.id)) return name;
  }
  return undefined;
}

/**
 * One PUT of the whole lbConfig (V22: it is replaced whole) with each rule that targets a
 * service of `base`'s colour stacks moved to the service of the same name in `stack`.
 */
export async function switchTo(t: RancherTarget, lb: string, stack: string, rancherCompose: string, base: string): Promise<void> {
  const { stackName, serviceName, svc } = await findLoadBalancer(t, lb);
  const target = await t.stack(stack);
  const serviceIds = new Map<string, string>();
  for (const s of await t.api.list(target.links.services!)) serviceIds.set(String(s.name), s.id);
  if (!svc) return createLoadBalancer(t, stackName, serviceName, rancherCompose, serviceIds);
  const colours = [...(await colourStacks(t, base)).values()];
  const lbConfig = svc.lbConfig as LbConfig;
  const portRules: PortRule[] = [];
  for (const rule of lbConfig.portRules ?? []) {
    const current = rule.serviceId ? await t.api.request<Resource>('GET', `/services/${encodeURIComponent(rule.serviceId)}`) : undefined;
    if (!current || !colours.some((c) => sameId(current.stackId ?? current.environmentId, c.id))) {
      portRules.push(rule); // another team's rule on a shared load balancer
      continue;
    }
    const id = serviceIds.get(String(current.name));
    if (!id) throw new RancherError(`The stack ${escapeLog(stack)} has no service ${escapeLog(String(current.name))} for the load balancer's rule on port ${String(rule.sourcePort)}`, 422);
    portRules.push({ ...rule, serviceId: id });
  }
  await t.untilActive(await t.api.update(svc, { lbConfig: { ...lbConfig, portRules } }), Date.now() + 300_000);
}

async function createLoadBalancer(t: RancherTarget, stackName: string, serviceName: string, rancherCompose: string, serviceIds: Map<string, string>): Promise<void> {
  const def = loadBalancerOf(rancherCompose);
  if (!def) throw new RancherError(`No load balancer ${escapeLog(stackName)}/${escapeLog(serviceName)}, and rancher-compose.yml describes none (a service with lb_config) to create it from`, 404);
  let st = await t.findStack(stackName);
  if (!st) {
    const made = await t.api.create(t.api.stacks, { name: stackName, startOnCreate: true });
    st = (await t.api.waitFor(made, (s) => s.state === 'active' && s.transitioning !== 'yes', { deadline: Date.now() + 300_000, pollMs: POLL_MS })) ?? made;
  }
  const portRules = def.portRules.map((r) => ({ sourcePort: r.sourcePort, targetPort: r.targetPort, protocol: r.protocol, serviceId: serviceIds.get(r.service) }));
  const lb = await t.api.create(
    'loadbalancerservices',
    {
      name: serviceName,
      [t.api.stackIdField]: st.id, // V7: a v1 body's environmentId
      scale: def.scale,
      startOnCreate: true,
      launchConfig: { imageUuid: `docker:${await t.lbImage()}`, ports: publishOf(def.portRules) },
      lbConfig: { portRules },
    },
    { stackId: st.id },
  );
  await t.untilActive(lb, Date.now() + 300_000);
}

function publishOf(rules: readonly { sourcePort?: number }[]): string[] {
  return [...new Set(rules.map((r) => `${r.sourcePort}:${r.sourcePort}/tcp`))];
}

/**
 * HTTPS: the certificate stored (updated when it exists), made the load balancer's default,
 * with a TLS rule on `httpsPort` to the first plain rule's service; and that port published by
 * an upgrade of the load balancer's launchConfig when it is not yet (V22), waited for and finished.
 */
export async function useCertificate(t: RancherTarget, lb: string, cert: Certificate, deadline: number): Promise<boolean> {
  const existing = await t.api.findByName('certificates', cert.name);
  const stored = existing ? await t.api.update(existing, { cert: cert.cert, key: cert.key }) : await t.api.create('certificates', { name: cert.name, cert: cert.cert, key: cert.key });
  const { svc } = await findLoadBalancer(t, lb);
  if (!svc) throw new RancherError(`No load balancer ${escapeLog(lb)} to put the certificate on`, 404);
  const lbConfig = svc.lbConfig as LbConfig;
  const rules = lbConfig.portRules ?? [];
  const first = rules.find((r) => r.protocol !== 'https');
  const tls = rules.some((r) => r.sourcePort === cert.httpsPort)
    ? rules
    : [...rules, ...(first ? [{ sourcePort: cert.httpsPort, targetPort: first.targetPort, protocol: 'https', serviceId: first.serviceId }] : [])];
  const updated = await t.api.update(svc, { lbConfig: { ...lbConfig, portRules: tls, defaultCertificateId: stored.id, certificateIds: [...new Set([...(lbConfig.certificateIds ?? []), stored.id])] } });
  const settled = await t.untilActive(updated, deadline);
  await publish(t, settled, cert.httpsPort, deadline);
  return true;
}

async function publish(t: RancherTarget, lb: Resource, port: number, deadline: number): Promise<void> {
  const launchConfig = { ...(lb.launchConfig as { ports?: string[]; version?: string }) };
  const ports = launchConfig.ports ?? [];
  if (ports.some((p) => String(p).split('/')[0]!.split(':').slice(-2)[0] === String(port))) return;
  core.info(`Publishing port ${port} on the load balancer ${escapeLog(String(lb.name))}: upgrading it one container at a time`);
  delete launchConfig.version;
  const upgrading = await t.api.action(lb, 'upgrade', { inServiceStrategy: { batchSize: 1, intervalMillis: 2000, startFirst: false, launchConfig: { ...launchConfig, ports: [...ports, `${port}:${port}/tcp`] } } });
  const upgraded = await t.api.waitFor(upgrading, (s) => s.state === 'upgraded', { deadline, pollMs: POLL_MS });
  if (!upgraded) throw new RancherError(`The load balancer ${escapeLog(String(lb.name))} did not finish publishing port ${port} in time (${escapeLog(String(upgrading.transitioningMessage ?? upgrading.state))})`, 504);
  await t.untilActive(await t.api.action(upgraded, 'finishupgrade'), deadline);
}

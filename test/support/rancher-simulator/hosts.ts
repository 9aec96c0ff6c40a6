/**
 * TEST DOUBLE (Rancher 1.6 / Cattle), part of test/support/rancher-simulator: where containers
 * run (V27) and what a service's health is (V18).
 */
import type { Host, Instance, Json, Service } from './model';

/** The host ports a launch config publishes: `launchConfig.ports` only (V21), "8080:80/tcp" or "80". */
export function publishedPorts(launchConfig: Json): number[] {
  const ports = (launchConfig.ports as unknown[] | undefined) ?? [];
  return ports.map((p) => String(p).split('/')[0]!.split(':')).filter((parts) => parts.length >= 2).map((parts) => Number(parts[parts.length - 2]));
}

/**
 * V27: a container that publishes host ports goes to a host where none of them is taken by a
 * running container; when every host has one taken it stays unallocated ("No healthy hosts meet
 * the resource constraints: ports"), and is tried again later. Returns the message, or null.
 */
export function allocate(inst: Instance, hosts: readonly Host[], running: readonly Instance[]): string | null {
  const taken = (h: Host) => running.some((o) => o !== inst && o.state === 'running' && o.hostId === h.id && o.ports.some((p) => inst.ports.includes(p)));
  const count = (h: Host) => running.filter((o) => o.state === 'running' && o.hostId === h.id).length;
  const free = hosts.filter((h) => !taken(h)).sort((a, b) => count(a) - count(b));
  if (!free[0]) return `Allocation failed: No healthy hosts meet the resource constraints: ports [${inst.ports.join(', ')}]`;
  inst.hostId = free[0].id;
  inst.state = 'running';
  inst.startedAt = Date.now();
  return null;
}

/**
 * V18 (ServiceDiscoveryServiceImpl.java:733-810): over the running managed containers, those
 * healthy, updating-healthy or without a check count as healthy; the service is healthy when
 * they reach scale (× one launch config), so scale 0 is healthy. Otherwise initializing if one
 * initializes, degraded if some are healthy, unhealthy if none; started-once when every
 * start-once container has run.
 */
export function healthState(s: Service): string {
  const current = s.instances.filter((i) => i.state !== 'removed');
  if (current.length && current.every((i) => i.startOnce) && current.every((i) => i.ranOnce)) return 'started-once';
  const running = current.filter((i) => i.state === 'running');
  const healthy = running.filter((i) => i.healthState === null || i.healthState === 'healthy').length;
  if (healthy >= s.scale) return 'healthy';
  if (running.some((i) => i.healthState === 'initializing')) return 'initializing';
  return healthy > 0 ? 'degraded' : 'unhealthy';
}

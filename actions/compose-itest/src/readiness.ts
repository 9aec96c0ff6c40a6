/**
 * Waiting until the environment is ready, driven by Docker's own events: every container event
 * of the project triggers a fresh look at its containers, so a change is seen when it happens.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_LABEL, type Compose, type ContainerState } from '../../shared/compose';
import { untilChanged } from '../../shared/docker';
import type { Endpoint } from './project';

export interface Verdict {
  ready: boolean;
  /** Set when waiting longer cannot help: a service exited with an error, or turned unhealthy. */
  failed?: string;
  waiting: string[];
}

/** Pure: is every expected service up (healthy where it has a health check, else running, or done with exit 0)? */
export function assess(containers: readonly ContainerState[], services: readonly string[]): Verdict {
  const waiting: string[] = [];
  for (const service of services) {
    const own = containers.filter((c) => c.service === service);
    if (!own.length) {
      waiting.push(service);
      continue;
    }
    for (const c of own) {
      if (c.status === 'exited' || c.status === 'dead') {
        if (c.exitCode === 0 && !c.health) continue; // a one-shot service that finished
        return { ready: false, failed: `${service} exited with code ${c.exitCode}`, waiting };
      }
      if (c.health === 'unhealthy') return { ready: false, failed: `${service} is unhealthy${healthLog(c)}`, waiting };
      if (c.status !== 'running' || (c.health && c.health !== 'healthy')) waiting.push(service);
    }
  }
  return { ready: waiting.length === 0, waiting: [...new Set(waiting)] };
}

function healthLog(c: ContainerState): string {
  return c.healthLog.length ? `; last health checks:\n${c.healthLog.join('\n')}` : '';
}

export class NotReadyError extends Error {
  override name = 'NotReadyError';
}

export async function waitUntilReady(compose: Compose, services: readonly string[], deadline: number, signal: AbortSignal): Promise<ContainerState[]> {
  let containers: ContainerState[] = [];
  let waiting: string[] = [];
  const ready = await untilChanged(
    [`label=${PROJECT_LABEL}=${compose.project}`, 'type=container'],
    async () => {
      containers = await compose.containers();
      const verdict = assess(containers, services);
      if (verdict.failed) throw new NotReadyError(verdict.failed);
      waiting = verdict.waiting;
      return verdict.ready ? containers : undefined;
    },
    { deadline, signal },
  );
  if (ready) return ready;
  const details = waiting.map((s) => {
    const c = containers.find((x) => x.service === s);
    return c ? `${s} (${c.health || c.status})${healthLog(c)}` : `${s} (no container)`;
  });
  throw new NotReadyError(`Not ready within the wait timeout: ${details.join('; ')}`);
}

export interface PortWait {
  service: string;
  port: number;
  /** With a path, an HTTP GET must answer below 500; without, a TCP connect must succeed. */
  path?: string;
}

export function parsePortWait(value: string): PortWait | undefined {
  const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(\d{1,5})(\/\S*)?$/.exec(value);
  return m ? { service: m[1]!, port: Number(m[2]), path: m[3] } : undefined;
}

/** Polls one published port (nothing signals that a port answers) until it does or the deadline passes. */
export async function waitForPort(w: PortWait, endpoint: Endpoint, deadline: number, signal: AbortSignal): Promise<void> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
    if (await answers(w, endpoint)) return;
    if (Date.now() + delay > deadline) throw new NotReadyError(`${w.service}:${w.port}${w.path ?? ''} did not answer within the wait timeout`);
    await sleep(delay, undefined, { signal });
  }
}

async function answers(w: PortWait, endpoint: Endpoint): Promise<boolean> {
  if (w.path) {
    try {
      const res = await fetch(`${endpoint.url}${w.path}`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      return res.status < 500;
    } catch {
      return false;
    }
  }
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port, timeout: 2_000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

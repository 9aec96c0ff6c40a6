/**
 * The HTTP side of the Rancher simulator's conformance tests: requests as any client makes
 * them, never through rancher-deploy's client, so the double is checked against the vectors alone.
 */
import { afterAll, beforeAll } from 'vitest';
import { RancherSimulator } from './index';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const sim = new RancherSimulator();
export const basic = (access: string, secret: string) => `Basic ${Buffer.from(`${access}:${secret}`).toString('base64')}`;
export const ENV = () => basic('ENVKEY5', sim.keys[0]!.secret);
export const ACCOUNT = () => basic('ACCOUNTKEY', sim.keys[1]!.secret);

export async function api(method: string, path: string, body?: unknown, auth = ENV(), headers: Record<string, string> = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(path.startsWith('http') ? path : `${sim.url}${path}`, {
    method,
    headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
    redirect: 'manual',
  });
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

export async function until(path: string, done: (r: Json) => boolean, ms = 10_000): Promise<Json> {
  const end = Date.now() + ms;
  for (;;) {
    const r = (await api('GET', path)).body;
    if (done(r)) return r;
    if (Date.now() > end) throw new Error(`timed out waiting on ${path}: ${JSON.stringify({ state: r.state, transitioning: r.transitioning, healthState: r.healthState })}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

let n = 0;
export const unique = () => ++n;
export function fresh(scale = 2, image = 'acme/app:1', extra: Json = {}) {
  const st = sim.addStack(`s${++n}`);
  const svc = sim.addService(st, 'web', image, scale, extra);
  return { st, svc, path: `/v2-beta/projects/1a5/services/1s${svc.id}` };
}

export const upgradeBody = (image: string, s: Json = {}) => ({ inServiceStrategy: { batchSize: 1, intervalMillis: 100, startFirst: true, launchConfig: { imageUuid: `docker:${image}` }, ...s } });

/** One simulator per test file, started before its tests. */
export function useSimulator(): void {
  beforeAll(async () => {
  sim.healthyAfterMs = 50;
  sim.executorMs = 20;
  await sim.start();
  });
  afterAll(() => sim.stop());
}


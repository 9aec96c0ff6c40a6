/** Project names and endpoints: what makes one run's environment its own and tells tests where it is. */
import { randomBytes } from 'node:crypto';
import type { ContainerState } from '../../shared/compose';

export const PROJECT_RE = /^[a-z0-9][a-z0-9_-]*$/;

/** `<repo>-<job>-<run id>-<attempt>[-<instance>]-<random>`, valid for Compose v1 and v2, at most 63 characters. */
export function projectName(
  parts: { repository: string; job: string; runId: string; attempt: string; instance: string },
  random = randomBytes(3).toString('hex'),
): string {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const repo = clean(parts.repository.split('/').pop() ?? '') || 'itest';
  const tail = [parts.job, parts.runId, parts.attempt, parts.instance, random].map(clean).filter(Boolean).join('-');
  return `${repo.slice(0, Math.max(1, 62 - tail.length))}-${tail}`.replace(/^[^a-z0-9]+/, '').slice(0, 63);
}

export interface Endpoint {
  host: string;
  port: number;
  url: string;
}

export interface Endpoints {
  byService: Record<string, Record<string, Endpoint>>;
  env: Record<string, string>;
}

/** Published ports per service, as `{service: {containerPort: endpoint}}` and as environment variables. */
export function endpoints(containers: readonly ContainerState[]): Endpoints {
  const byService: Record<string, Record<string, Endpoint>> = {};
  const env: Record<string, string> = {};
  for (const c of [...containers].sort((a, b) => a.name.localeCompare(b.name)))
    for (const p of c.ports) {
      const service = (byService[c.service] ??= {});
      if (service[p.containerPort]) continue; // a scaled service: the first replica
      const endpoint = { host: p.host, port: p.hostPort, url: `http://${p.host}:${p.hostPort}` };
      service[p.containerPort] = endpoint;
      const prefix = `${c.service.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_${p.containerPort}`;
      env[`${prefix}_HOST`] = endpoint.host;
      env[`${prefix}_PORT`] = String(endpoint.port);
      env[`${prefix}_URL`] = endpoint.url;
    }
  return { byService, env };
}

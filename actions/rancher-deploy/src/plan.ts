/**
 * Pure: what the deploy will do, from the inputs and the two compose files. The rollout of each
 * service (inputs over rancher-compose.yml's upgrade_strategy over Rancher's defaults), the
 * blue-green colours, the load balancer rancher-compose.yml describes, and the stack files sent
 * to Rancher or to `docker stack deploy`.
 */
import { parse, stringify } from 'yaml';
import { interpolate } from '../../shared/compose';
import { withLocalFiles } from './stack-files';
import type { RolloutInputs } from './config';

export interface Rollout {
  batchSize: number;
  intervalMs: number;
  startFirst: boolean;
}

/** Rancher's own defaults (V13 of Rancher 1.6's conformance reference: 1, 2000 ms, stop-first). */
export const RANCHER_DEFAULTS: Rollout = { batchSize: 1, intervalMs: 2000, startFirst: false };

type ServiceMap = Record<string, Record<string, unknown> | null>;
interface ComposeFile {
  services?: ServiceMap;
  [key: string]: unknown;
}

function servicesOf(text: string): ServiceMap {
  return ((text ? (parse(text) as ComposeFile | null) : null)?.services ?? {}) as ServiceMap;
}

/** A service's rollout: the inputs, else its upgrade_strategy in rancher-compose.yml, else Rancher's defaults. */
export function rolloutFor(service: string, inputs: RolloutInputs, rancherCompose: string): Rollout {
  const strategy = (servicesOf(rancherCompose)[service]?.upgrade_strategy ?? {}) as { batch_size?: number; interval_millis?: number; start_first?: boolean };
  return {
    batchSize: inputs.batchSize ?? Number(strategy.batch_size ?? RANCHER_DEFAULTS.batchSize),
    intervalMs: inputs.intervalMs ?? Number(strategy.interval_millis ?? RANCHER_DEFAULTS.intervalMs),
    startFirst: inputs.startFirst ?? Boolean(strategy.start_first ?? RANCHER_DEFAULTS.startFirst),
  };
}

/** The service scales rancher-compose.yml sets (1 where it says nothing). */
export function scalesOf(dockerCompose: string, rancherCompose: string): Record<string, number> {
  const rc = servicesOf(rancherCompose);
  const out: Record<string, number> = {};
  for (const name of Object.keys(servicesOf(dockerCompose))) if (!rc[name]?.lb_config) out[name] = Number(rc[name]?.scale ?? 1);
  return out;
}

export type Color = 'blue' | 'green';

export function colorStack(stack: string, color: Color): string {
  return `${stack}-${color}`;
}

/** Blue-green: the stack to deploy to, the one that is not active (blue on the first deploy). */
export function standbyOf(stack: string, active: string | undefined): { standby: string; active?: string } {
  const blue = colorStack(stack, 'blue');
  const green = colorStack(stack, 'green');
  if (active === blue) return { standby: green, active };
  if (active === green) return { standby: blue, active };
  return { standby: blue };
}

export interface PortRule {
  sourcePort: number;
  targetPort: number;
  protocol: string;
  service: string;
}

/** The load balancer rancher-compose.yml describes (the first service with lb_config). */
export function loadBalancerOf(rancherCompose: string): { name: string; scale: number; portRules: PortRule[] } | undefined {
  for (const [name, svc] of Object.entries(servicesOf(rancherCompose))) {
    const lb = svc?.lb_config as { port_rules?: Record<string, unknown>[] } | undefined;
    if (!lb) continue;
    return {
      name,
      scale: Number(svc?.scale ?? 1),
      portRules: (lb.port_rules ?? []).map((r) => ({
        sourcePort: Number(r.source_port),
        targetPort: Number(r.target_port ?? r.source_port),
        protocol: String(r.protocol ?? 'http'),
        service: String(r.service ?? ''),
      })),
    };
  }
  return undefined;
}

export interface StackFiles {
  dockerCompose: string;
  rancherCompose: string;
  /** Swarm: the runner files the compose file names, by their real paths inside the workspace (stack-files.ts). */
  localFiles?: Record<string, string>;
}

/**
 * The stack file for `docker stack deploy`: the compose file interpolated with the variables
 * (only those: the CLI's environment is never touched), `services` set to `image`,
 * rancher-compose.yml's scale and upgrade_strategy as `deploy.replicas` and
 * `deploy.update_config` (failure action rollback), its load balancer left out. Every `$` in the
 * result is written as `$$`, so the CLI's own interpolation leaves the values as they are.
 */
export function swarmStackFile(files: StackFiles, variables: Record<string, string>, image: string, services: readonly string[], inputs: RolloutInputs): string {
  const model = withLocalFiles((parse(interpolate(files.dockerCompose, variables)) ?? {}) as ComposeFile, files.localFiles ?? {});
  const rc = servicesOf(files.rancherCompose);
  const lb = loadBalancerOf(files.rancherCompose)?.name;
  const out: ServiceMap = {};
  for (const [name, svc] of Object.entries(model.services ?? {})) {
    if (name === lb) continue;
    const s = { ...(svc ?? {}) } as Record<string, unknown>;
    if (services.includes(name)) s.image = image;
    const rollout = rolloutFor(name, inputs, files.rancherCompose);
    const deploy = { ...((s.deploy as Record<string, unknown>) ?? {}) };
    if (rc[name]?.scale !== undefined) deploy.replicas = Number(rc[name]!.scale);
    deploy.update_config = {
      ...((deploy.update_config as object) ?? {}),
      parallelism: rollout.batchSize,
      delay: `${rollout.intervalMs}ms`,
      order: rollout.startFirst ? 'start-first' : 'stop-first',
      failure_action: 'rollback',
    };
    s.deploy = deploy;
    delete s.depends_on; // swarm starts services independently; health checks gate readiness
    out[name] = s;
  }
  return stringify(escapeDollars({ ...model, services: out }));
}

/** Every `$` written `$$`, so a compose reader's own interpolation leaves the values as they are. */
export function escapeDollars(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\$/g, '$$$$');
  if (Array.isArray(value)) return value.map(escapeDollars);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeDollars(v)]));
  return value;
}

/**
 * The exact image reference a service runs, as a user could deploy it again by hand: swarm's
 * pinned digest kept (`repo:tag@sha256:…`, or `repo@sha256:…` after a deploy by digest), Rancher's
 * `docker:` prefix dropped.
 */
export function runningImage(ref: string): string {
  return ref.replace(/^docker:/, '');
}

/**
 * The one Compose wrapper: Compose v2 (`docker compose`) or v1 (`docker-compose`), always with
 * the project name and files, and the project's containers read straight from Docker by label.
 */
import { ensurePlugin, type PluginSource } from '../../shared/cli-plugin';
import { hasPlugin, removeContainers } from '../../shared/docker';
import { run, runOk, type RunOptions, type RunResult } from '../../shared/exec';

export type Flavor = 'v2' | 'v1';
export const PROJECT_LABEL = 'com.docker.compose.project';
export const SERVICE_LABEL = 'com.docker.compose.service';

/**
 * v2 when the runner has it, else v1; a runner with neither (or without v2 when v2 is asked
 * for) gets the v2 plugin installed through the tool cache.
 */
export async function detectFlavor(preference: 'auto' | Flavor, plugin: Omit<PluginSource, 'plugin'>): Promise<Flavor> {
  if (preference !== 'v1' && (await hasPlugin('compose'))) return 'v2';
  if (preference !== 'v2' && (await run('docker-compose', ['version'], { silent: true }).catch(() => ({ code: 1 }))).code === 0) return 'v1';
  if (preference === 'v1') throw new Error('Compose v1 (docker-compose) is not on this runner');
  await ensurePlugin({ plugin: 'compose', ...plugin });
  return 'v2';
}

export interface PortBinding {
  containerPort: number;
  protocol: string;
  host: string;
  hostPort: number;
}

export interface ContainerState {
  id: string;
  name: string;
  service: string;
  status: string;
  exitCode: number;
  /** '' when the service has no health check. */
  health: string;
  healthLog: string[];
  ports: PortBinding[];
}

export interface ComposeModel {
  services: Record<string, { ports?: unknown[]; healthcheck?: unknown; profiles?: string[] } & Record<string, unknown>>;
  [key: string]: unknown;
}

export class Compose {
  constructor(
    readonly flavor: Flavor,
    readonly project: string,
    readonly files: readonly string[],
    readonly env: Record<string, string> = {},
    readonly cwd?: string,
  ) {}

  command(args: readonly string[]): [string, string[]] {
    const base = ['-p', this.project, ...this.files.flatMap((f) => ['-f', f])];
    return this.flavor === 'v2' ? ['docker', ['compose', ...base, ...args]] : ['docker-compose', [...base, ...args]];
  }

  run(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const [cmd, full] = this.command(args);
    return run(cmd, full, { cwd: this.cwd, ...opts, env: { ...this.env, ...opts.env } });
  }

  async ok(args: readonly string[], opts: RunOptions & { what?: string } = {}): Promise<RunResult> {
    const [cmd, full] = this.command(args);
    return runOk(cmd, full, { cwd: this.cwd, ...opts, env: { ...this.env, ...opts.env } });
  }

  /** The resolved model: files merged, variables interpolated, paths absolute, all profiles. */
  async config(): Promise<ComposeModel> {
    // Every profile, so services behind one can be named and checked too.
    const res = await this.ok(this.flavor === 'v2' ? ['config', '--format', 'json'] : ['config'], {
      silent: true,
      capture: true,
      env: { COMPOSE_PROFILES: '*' },
      what: 'Reading the compose files',
    });
    const { parse } = await import('yaml'); // loaded on first use: a faster start
    return parse(res.stdout) as ComposeModel;
  }

  /** Containers of this project, from Docker itself (both Compose flavours label them). */
  async containers(): Promise<ContainerState[]> {
    const ids = (await run('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=${PROJECT_LABEL}=${this.project}`], { silent: true, capture: true })).stdout
      .split('\n')
      .filter(Boolean);
    if (!ids.length) return [];
    const res = await run('docker', ['inspect', ...ids], { silent: true, capture: true });
    if (res.code !== 0) return [];
    return (JSON.parse(res.stdout) as DockerInspect[]).map(toState);
  }
}

interface DockerInspect {
  Id: string;
  Name: string;
  Config: { Labels: Record<string, string> };
  State: { Status: string; ExitCode: number; Health?: { Status: string; Log?: { Output: string; ExitCode: number }[] } };
  NetworkSettings: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> };
}

function toState(c: DockerInspect): ContainerState {
  const ports: PortBinding[] = [];
  for (const [key, bindings] of Object.entries(c.NetworkSettings.Ports ?? {})) {
    const [port, protocol] = key.split('/') as [string, string];
    for (const b of bindings ?? []) {
      if (b.HostIp.includes(':')) continue; // the IPv6 twin of an IPv4 binding
      ports.push({ containerPort: Number(port), protocol, host: !b.HostIp || b.HostIp === '0.0.0.0' ? '127.0.0.1' : b.HostIp, hostPort: Number(b.HostPort) });
    }
  }
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    service: c.Config.Labels[SERVICE_LABEL] ?? '',
    status: c.State.Status,
    exitCode: c.State.ExitCode,
    health: c.State.Health?.Status ?? '',
    healthLog: (c.State.Health?.Log ?? []).slice(-3).map((l) => `exit ${l.ExitCode}: ${l.Output.trim()}`),
    ports,
  };
}

/** Removes whatever still carries the project's label: containers, then networks and volumes. */
export async function sweep(project: string): Promise<number> {
  const filter = ['--filter', `label=${PROJECT_LABEL}=${project}`];
  let removed = await removeContainers(`${PROJECT_LABEL}=${project}`);
  for (const [list, remove] of [
    [['network', 'ls', '-q', ...filter], ['network', 'rm']],
    [['volume', 'ls', '-q', ...filter], ['volume', 'rm', '-f']],
  ] as const) {
    const ids = (await run('docker', list, { silent: true, capture: true })).stdout.split('\n').filter(Boolean);
    if (ids.length) await run('docker', [...remove, ...ids], { silent: true });
    removed += ids.length;
  }
  return removed;
}

/**
 * TEST DOUBLE (Rancher 1.6 / Cattle), part of test/support/rancher-simulator: the server-side
 * compose executor a stack's dockerCompose and rancherCompose go through (V9, V10), as
 * rancher-compose-executor v0.14 reads them. It refuses what the executor refuses; the stack
 * then ends at transitioning error with the message.
 */
import { parse as parseYaml } from 'yaml';
import type { Json } from './model';

export class ExecutorError extends Error {}

/**
 * V10: the v2 service keys, rce config/schema.go (servicesSchemaDataV2, "config_schema_v2.0.json"),
 * which has no `healthcheck` and no `deploy`; additionalProperties false.
 */
const V2_SERVICE_KEYS = new Set(
  (
    'blkio_weight blkio_weight_device build cap_add cap_drop certs cgroup_parent command config container_name cpu_period cpu_shares cpu_quota cpuset ' +
    'default_cert depends_on device_read_bps device_read_iops devices device_write_bps device_write_iops disks dns dns_opt dns_search domainname entrypoint ' +
    'env_file environment expose extends external_ips external_links extra_hosts health_check hostname image ipc isolation labels lb_config links ' +
    'load_balancer_config logging mac_address memory mem_limit mem_reservation memswap_limit mem_swappiness metadata network_driver network_mode networks ' +
    'oom_kill_disable oom_score_adj group_add pid ports port_rules privileged read_only restart retain_ip scale scale_policy security_opt shm_size secrets ' +
    'start_on_create stickiness_policy stdin_open stop_signal storage_driver sysctls tmpfs tty type update_strategy ulimits user userdata uts vcpu volumes ' +
    'volume_driver volumes_from working_dir'
  ).split(' '),
);

/**
 * V10: rce config/interpolation.go:39-61,113: `$$`, `$VAR` and `${VAR}` only; anything else in
 * braces (a `:-` default among them) is "Invalid interpolation format". Unset is empty.
 */
export function interpolateLine(line: string, vars: Record<string, string>, where: string): string {
  return line.replace(/\$(\$|\{([^}]*)\}|[A-Za-z_][A-Za-z0-9_]*)?/g, (whole, _t: string | undefined, braced: string | undefined) => {
    if (whole === '$$') return '$';
    if (whole === '$') return '$';
    const name = braced ?? whole.slice(1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ExecutorError(`Invalid interpolation format for ${where}: "${line.trim()}"`);
    return vars[name] ?? '';
  });
}

/** V10: interpolation runs over the parsed values, as rce does, naming the option in an error. */
function interpolate(value: unknown, vars: Record<string, string>, where: string): unknown {
  if (typeof value === 'string') return interpolateLine(value, vars, where);
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars, where));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars, where.includes('option') ? where : `"${k}" option in ${where}`)]));
  return value;
}

function load(text: string, vars: Record<string, string>, file: string): Json {
  const doc = (parseYaml(text) ?? {}) as Json;
  const services = (doc.version === '2' ? doc.services : doc) as Record<string, unknown> | undefined;
  const out = { ...doc };
  const each = Object.fromEntries(Object.entries(services ?? {}).map(([name, def]) => [name, interpolate(def, vars, `service "${name}" (${file})`)]));
  if (doc.version === '2') out.services = each;
  else Object.assign(out, each);
  return out;
}

export interface ServiceSpec {
  name: string;
  kind: 'service' | 'loadBalancerService';
  scale: number;
  launchConfig: Json;
  /** Port rules naming their target by service name; the stack resolves them. */
  portRules?: { sourcePort: number; targetPort: number; protocol: string; service: string }[];
  upgradeStrategy?: Json;
}

/** V9, V10: the services a stack's compose files describe, or an ExecutorError with the executor's message. */
export function readStack(dockerCompose: string, rancherCompose: string, vars: Record<string, string>): ServiceSpec[] {
  const dc = load(dockerCompose, vars, 'docker-compose.yml');
  const rc = load(rancherCompose, vars, 'rancher-compose.yml');
  const services = servicesOf(dc, 'docker-compose.yml', true);
  const rancher = servicesOf(rc, 'rancher-compose.yml', false);
  const out: ServiceSpec[] = [];
  for (const name of new Set([...Object.keys(services), ...Object.keys(rancher)])) {
    const d = services[name] ?? {};
    const r = rancher[name] ?? {};
    // rce config schema constraints: a service needs an image or a build.
    if (!d.image && !d.build) throw new ExecutorError(`Service '${name}' has neither an image nor a build context specified. At least one must be provided.`);
    const healthCheck = (r.health_check ?? d.health_check) as Json | undefined;
    const labels = { ...((d.labels as Json) ?? {}) };
    const launchConfig: Json = {
      imageUuid: `docker:${String(d.image)}`,
      labels,
      environment: (d.environment as Json) ?? {},
      ports: ((d.ports as unknown[]) ?? []).map((p) => (String(p).includes('/') ? String(p) : `${String(p)}/tcp`)),
      ...(healthCheck ? { healthCheck: healthCheckOf(healthCheck) } : {}),
    };
    const lb = (r.lb_config ?? d.lb_config) as { port_rules?: Json[] } | undefined;
    out.push({
      name,
      kind: lb ? 'loadBalancerService' : 'service',
      scale: Number(r.scale ?? d.scale ?? 1),
      launchConfig,
      upgradeStrategy: r.upgrade_strategy as Json | undefined,
      ...(lb
        ? {
            portRules: (lb.port_rules ?? []).map((p) => ({
              sourcePort: Number(p.source_port),
              targetPort: Number(p.target_port),
              protocol: String(p.protocol ?? 'http'),
              service: String(p.service ?? ''),
            })),
          }
        : {}),
    });
  }
  return out;
}

/** V10: `version: "2"` has its services under `services`; any other version is v1 (top-level keys are services); "3" is refused. */
function servicesOf(file: Json, name: string, strict: boolean): Record<string, Json> {
  const version = file.version;
  if (version !== undefined && /^3/.test(String(version))) throw new ExecutorError(`${name}: unsupported Compose file version: ${String(version)}`);
  const v2 = version === '2';
  const services = (v2 ? (file.services ?? {}) : Object.fromEntries(Object.entries(file).filter(([k]) => k !== 'version'))) as Record<string, Json>;
  if (!strict) return services;
  if (v2) for (const key of Object.keys(file)) if (!['version', 'services', 'networks', 'volumes'].includes(key)) throw new ExecutorError(`${name}: Additional property ${key} is not allowed`);
  for (const [svc, def] of Object.entries(services)) {
    if (!def || typeof def !== 'object' || Array.isArray(def)) throw new ExecutorError(`${name}: Service ${svc} has an invalid definition`);
    for (const key of Object.keys(def)) if (!V2_SERVICE_KEYS.has(key)) throw new ExecutorError(`${name}: Unsupported config option for ${svc} service: '${key}'`);
    const deps = def.depends_on;
    if (deps !== undefined && !(Array.isArray(deps) && deps.every((d) => typeof d === 'string')))
      throw new ExecutorError(`${name}: Service ${svc} configuration key 'depends_on' contains an invalid type, it should be an array`);
  }
  return services;
}

/** rancher-compose's health_check, as the API names it. */
function healthCheckOf(h: Json): Json {
  return {
    port: h.port,
    requestLine: h.request_line ?? null,
    interval: h.interval,
    responseTimeout: h.response_timeout,
    healthyThreshold: h.healthy_threshold,
    unhealthyThreshold: h.unhealthy_threshold,
    strategy: h.strategy ?? 'recreate',
  };
}

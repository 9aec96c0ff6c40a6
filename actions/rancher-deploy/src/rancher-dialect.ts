/**
 * Pure: the compose files a Rancher 1.6 stack is created from, in the dialect its server-side
 * executor (rancher-compose-executor) accepts, so that a stack Rancher would refuse is refused
 * here first, with the file, the key and the reason, before any request.
 *
 * Translated: `version` becomes "2"; variables are interpolated here (Rancher's executor knows
 * no `${VAR:-default}`), and every `$` left is written `$$`; `depends_on` conditions become a
 * list; a `healthcheck` completes rancher-compose.yml's `health_check` of the service (Rancher
 * checks a port, not a command, so one without a `health_check` is dropped, with a note); the
 * services the load balancer routes to keep their ports inside the stack (`expose`), since on
 * Rancher the load balancer publishes them; the load balancer gets its image (the server's
 * `lb.instance.image`) and publishes its rules' source ports; `x-` keys are dropped.
 * Refused: the keys the executor's v2 schema does not know (rce config/schema.go,
 * servicesSchemaDataV2), `env_file` and `build` (the server has neither the runner's files nor
 * a builder), top-level `secrets` and `configs`.
 */
import { parse, stringify } from 'yaml';
import { interpolate } from '../../shared/compose';
import { InputError } from '../../shared/inputs';
import { escapeDollars, loadBalancerOf } from './plan';

type Json = Record<string, unknown>;

/** rce config/schema.go, servicesSchemaDataV2 ("config_schema_v2.0.json"). */
const V2_SERVICE_KEYS = new Set(
  (
    'blkio_weight blkio_weight_device cap_add cap_drop certs cgroup_parent command config container_name cpu_period cpu_shares cpu_quota cpuset ' +
    'default_cert depends_on device_read_bps device_read_iops devices device_write_bps device_write_iops disks dns dns_opt dns_search domainname entrypoint ' +
    'environment expose extends external_ips external_links extra_hosts health_check hostname image ipc isolation labels lb_config links ' +
    'load_balancer_config logging mac_address memory mem_limit mem_reservation memswap_limit mem_swappiness metadata network_driver network_mode networks ' +
    'oom_kill_disable oom_score_adj group_add pid ports port_rules privileged read_only restart retain_ip scale scale_policy security_opt shm_size secrets ' +
    'start_on_create stickiness_policy stdin_open stop_signal storage_driver sysctls tmpfs tty type update_strategy ulimits user userdata uts vcpu volumes ' +
    'volume_driver volumes_from working_dir'
  ).split(' '),
);
const REFUSED: Record<string, string> = {
  env_file: "Rancher reads the compose file on its server, which cannot read the runner's files; put the variables under environment",
  build: 'Rancher pulls images and builds none; push the image and name it under image',
  deploy: "swarm's deploy settings; on Rancher set scale and upgrade_strategy in rancher-compose.yml",
};
const TOP_LEVEL = new Set(['version', 'services', 'networks', 'volumes']);

export interface RancherStack {
  dockerCompose: string;
  rancherCompose: string;
  /** What was changed on the way, for the log. */
  notes: string[];
}

export interface DialectOptions {
  /** The files' names, for errors. */
  composeFile: string;
  rancherComposeFile: string;
  variables: Record<string, string>;
  image: string;
  services: readonly string[];
  /** A blue-green colour stack leaves the load balancer out (it has its own stack). */
  withoutLb: boolean;
  /** The server's lb.instance.image, for a load balancer whose image the files do not name. */
  lbImage: string;
}

export function toRancherDialect(dockerCompose: string, rancherCompose: string, o: DialectOptions): RancherStack {
  const notes: string[] = [];
  const dc = load(dockerCompose, o.variables, 'compose-file', o.composeFile);
  const rc = load(rancherCompose, o.variables, 'rancher-compose-file', o.rancherComposeFile);
  for (const key of Object.keys(dc)) {
    if (key.startsWith('x-')) delete dc[key];
    else if (!TOP_LEVEL.has(key)) throw refuse(o.composeFile, key, `Rancher's compose v2 has no top-level ${key}`);
  }
  const services = (dc.services ?? {}) as Record<string, Json>;
  const rancher = (rc.services ?? {}) as Record<string, Json>;
  const lb = loadBalancerOf(rancherCompose);
  const behindLb = new Set(lb?.portRules.map((r) => r.service) ?? []);

  for (const [name, given] of Object.entries(services)) {
    const svc = (services[name] = given ?? {}); // `db:` with nothing under it is a service too
    const where = `services.${name}`;
    for (const key of Object.keys(svc)) {
      if (key.startsWith('x-')) delete svc[key];
      else if (REFUSED[key] && !(key === 'build' && svc.image)) throw refuse(o.composeFile, `${where}.${key}`, REFUSED[key]);
      else if (key === 'build') delete svc.build;
      else if (key === 'healthcheck') healthcheck(name, svc, rancher, notes);
      else if (key === 'depends_on') svc.depends_on = dependsOn(svc.depends_on, o.composeFile, where, notes);
      else if (!V2_SERVICE_KEYS.has(key)) throw refuse(o.composeFile, `${where}.${key}`, "Rancher 1.6's compose executor reads compose v2.0, which has no such key");
    }
    if (o.services.includes(name)) svc.image = o.image;
    if (!svc.image && !(lb && name === lb.name)) throw refuse(o.composeFile, `${where}.image`, 'every service needs an image on Rancher');
    if (behindLb.has(name) && Array.isArray(svc.ports) && svc.ports.length) {
      svc.expose = [...new Set([...((svc.expose as unknown[]) ?? []).map(String), ...svc.ports.map(containerPort)])];
      notes.push(`${name}: ports ${svc.ports.map(String).join(', ')} kept inside the stack (expose); the load balancer ${lb!.name} publishes them`);
      delete svc.ports;
    }
  }
  if (lb && o.withoutLb) {
    delete services[lb.name];
    delete rancher[lb.name];
  } else if (lb) {
    const def = (services[lb.name] ??= {});
    def.image ??= o.lbImage;
    def.ports = [...new Set([...((def.ports as unknown[]) ?? []).map(String), ...lb.portRules.map((r) => `${r.sourcePort}:${r.sourcePort}/tcp`)])];
  }
  dc.version = '2';
  dc.services = services;
  rc.version = '2';
  if (rc.services) rc.services = rancher;
  return { dockerCompose: stringify(escapeDollars(dc)), rancherCompose: rancherCompose ? stringify(escapeDollars(rc)) : '', notes };
}

function load(text: string, vars: Record<string, string>, input: string, file: string): Json {
  if (!text) return {};
  let doc: unknown;
  try {
    doc = parse(interpolate(text, vars));
  } catch (err) {
    throw new InputError(input, file, `a compose file Rancher can read (${(err as Error).message.split('\n')[0]})`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new InputError(input, file, 'a compose file (a mapping at the top)');
  return doc as Json;
}

function refuse(file: string, key: string, reason: string): InputError {
  return new InputError('compose-file', file, `a file Rancher 1.6 accepts: ${key} cannot go to Rancher (${reason})`);
}

/** A healthcheck fills in the timings rancher-compose.yml's health_check leaves out; the port and request come from there. */
function healthcheck(name: string, svc: Json, rancher: Record<string, Json>, notes: string[]): void {
  const hc = (svc.healthcheck ?? {}) as { interval?: string; timeout?: string; retries?: number };
  delete svc.healthcheck;
  const target = rancher[name]?.health_check as Json | undefined;
  if (!target) {
    notes.push(`${name}: its healthcheck is not carried over: Rancher checks a port, not a command; give it a health_check in rancher-compose.yml to gate on its health`);
    return;
  }
  const ms = (d: string | undefined) => (d ? durationMs(d) : undefined);
  target.interval ??= ms(hc.interval);
  target.response_timeout ??= ms(hc.timeout);
  target.unhealthy_threshold ??= hc.retries;
  for (const k of Object.keys(target)) if (target[k] === undefined) delete target[k];
}

function dependsOn(value: unknown, file: string, where: string, notes: string[]): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (value && typeof value === 'object') {
    const names = Object.keys(value);
    if (Object.values(value).some((c) => (c as Json)?.condition && (c as Json).condition !== 'service_started'))
      notes.push(`${where.slice('services.'.length)}: depends_on conditions dropped; Rancher starts the services in order and does not wait for their health`);
    return names;
  }
  throw refuse(file, `${where}.depends_on`, 'a list of service names');
}

/** "9000:9000", "127.0.0.1:80:8080/tcp", 8080 → the container port ("9000", "8080/tcp"). */
function containerPort(p: unknown): string {
  const [spec, proto] = String(p).split('/');
  const port = spec!.split(':').pop()!;
  return proto ? `${port}/${proto}` : port;
}

/** Compose durations (1m30s, 2s, 500ms) in milliseconds. */
function durationMs(d: string): number | undefined {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|us|s|m|h)/g;
  let matched = '';
  for (let m = re.exec(d); m; m = re.exec(d)) {
    total += Number(m[1]) * { ms: 1, us: 0.001, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms'];
    matched += m[0];
  }
  return matched === d ? Math.round(total) : undefined;
}

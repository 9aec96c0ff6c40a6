/**
 * routing-records: failover, latency and geolocation records, read and checked against the rules
 * real Route 53 enforces (Developer Guide: failover, geolocation and latency routing, "Choosing a
 * routing policy"; API Reference: HealthCheckConfig) before any request, where an emulator would
 * accept them and Route 53 refuse them at apply time.
 */
import { InputError } from '../../shared/inputs';
import { HOST_NAME, SET_ID, validValue, type RecordType } from './names';
import type { HealthCheckSpec, RoutingRecord } from './plan';

export const ROUTING_ACCEPTED = 'a YAML list of {set-identifier, value, failover|region|continent|country, health-check?}';


const POLICY_VALUE = { failover: /^(PRIMARY|SECONDARY)$/, region: /^[a-z]{2}(-[a-z]+)+-\d$/, continent: /^(AF|AN|AS|EU|OC|NA|SA)$/, country: /^([A-Z]{2}|\*)$/ };

/**
 * Addresses Route 53 cannot health-check: local, private, non-routable and multicast ranges
 * (HealthCheckConfig IPAddress, after RFC 5735, RFC 6598 and RFC 5156). The documentation
 * ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are accepted: Route 53's
 * own examples use them.
 */
export function unroutable(ip: string): boolean {
  if (ip.includes(':')) {
    const v6 = ip.toLowerCase();
    return v6 === '::' || v6 === '::1' || /^(fe[89ab]|f[cd]|ff)/.test(v6) || v6.startsWith('::ffff:');
  }
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19));
}

export interface RoutingInput {
  records: RoutingRecord[];
  /** What Route 53 accepts but a user would want to know (a PRIMARY that never fails over, no geolocation default). */
  warnings: string[];
}


export async function parseRouting(text: string, type: RecordType): Promise<RoutingInput> {
  if (!text) return { records: [], warnings: [] };
  const { parse } = await import('yaml');
  let list: unknown;
  try {
    list = parse(text);
  } catch {
    throw new InputError('routing-records', text.split('\n')[0]!, ROUTING_ACCEPTED);
  }
  if (!Array.isArray(list) || !list.length) throw new InputError('routing-records', text.split('\n')[0]!, ROUTING_ACCEPTED);
  const records = list.map((raw: Record<string, unknown>, i) => readRecord(raw ?? {}, `item ${i + 1}`, type));
  return { records, warnings: checkSet(records) };
}

function readRecord(raw: Record<string, unknown>, at: string, type: RecordType): RoutingRecord {
  const id = String(raw['set-identifier'] ?? '');
  const value = String(raw.value ?? '');
  if (!SET_ID.test(id)) throw new InputError('routing-records', `${at}: set-identifier ${id}`, '1 to 128 characters on one line');
  if (!validValue(type, value)) throw new InputError('routing-records', `${at}: value ${value}`, `a valid ${type} record value`);
  const policies = (['failover', 'region', 'continent', 'country'] as const).filter((k) => raw[k] !== undefined);
  if (policies.length !== 1) throw new InputError('routing-records', `${at}: ${policies.join(', ') || 'no policy'}`, 'exactly one of failover, region, continent, country');
  const policy = policies[0]!;
  const policyValue = String(raw[policy]);
  if (!POLICY_VALUE[policy].test(policyValue)) throw new InputError('routing-records', `${at}: ${policy} ${policyValue}`, `a valid ${policy}`);
  const hc = raw['health-check'] as Record<string, unknown> | undefined;
  return { setIdentifier: id, value, policy, policyValue, healthCheck: hc ? readHealthCheck(hc, at, type, value) : undefined };
}

function readHealthCheck(hc: Record<string, unknown>, at: string, type: RecordType, value: string): HealthCheckSpec {
  const hcType = String(hc.type ?? 'HTTPS');
  if (!/^(HTTP|HTTPS)$/.test(hcType)) throw new InputError('routing-records', `${at}: health-check type ${hcType}`, 'HTTP or HTTPS');
  const port = Number(hc.port ?? (hcType === 'HTTPS' ? 443 : 80));
  const interval = Number(hc.interval ?? 30);
  const threshold = Number(hc['failure-threshold'] ?? 3);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InputError('routing-records', `${at}: health-check port ${String(hc.port)}`, 'a port from 1 to 65535');
  if (interval !== 10 && interval !== 30) throw new InputError('routing-records', `${at}: health-check interval ${interval}`, '10 or 30');
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > 10) throw new InputError('routing-records', `${at}: health-check failure-threshold ${threshold}`, '1 to 10');
  const path = String(hc.path ?? '/');
  if (!path.startsWith('/')) throw new InputError('routing-records', `${at}: health-check path ${path}`, 'a path starting with /');
  const host = hc.host === undefined ? undefined : String(hc.host);
  if (host !== undefined && !HOST_NAME.test(host)) throw new InputError('routing-records', `${at}: health-check host ${host}`, 'a DNS name');
  // A check needs an address or a host name: an A or AAAA record's own value, a CNAME's host.
  const ip = hc.ip !== undefined ? String(hc.ip) : type !== 'CNAME' && !host ? value : undefined;
  if (!ip && !host) throw new InputError('routing-records', `${at}: health-check of a CNAME without host`, 'a host (the name to check) for a CNAME record');
  if (ip && !/^[0-9a-fA-F:.]+$/.test(ip)) throw new InputError('routing-records', `${at}: health-check ip ${ip}`, 'an IPv4 or IPv6 address');
  if (ip && unroutable(ip)) throw new InputError('routing-records', `${at}: health-check ip ${ip}`, 'a public address (Route 53 cannot check private, loopback, link-local or multicast ones)');
  return { type: hcType as 'HTTP' | 'HTTPS', ip, host, port, path, interval, failureThreshold: threshold };
}

/** The set as a whole: one policy per name, unique identifiers, a failover pair, one record per location. */
function checkSet(records: readonly RoutingRecord[]): string[] {
  const warnings: string[] = [];
  const policies = new Set(records.map((r) => (r.policy === 'country' ? 'continent' : r.policy)));
  if (policies.size > 1) throw new InputError('routing-records', [...policies].join(' and '), 'one routing policy per name (Route 53 does not mix them)');
  const ids = records.map((r) => r.setIdentifier);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new InputError('routing-records', `set-identifier ${twice} twice`, 'a different set-identifier per record');
  const policy = records[0]!.policy;
  if (policy === 'failover') {
    const roles = records.map((r) => r.policyValue).sort();
    if (roles.join(',') !== 'PRIMARY,SECONDARY') throw new InputError('routing-records', `failover ${roles.join(', ')}`, 'exactly one PRIMARY and one SECONDARY');
    const primary = records.find((r) => r.policyValue === 'PRIMARY')!;
    if (!primary.healthCheck) warnings.push(`The PRIMARY record ${primary.setIdentifier} has no health check: Route 53 counts it healthy always, so it never fails over`);
  }
  if (policy === 'continent' || policy === 'country') {
    const locations = records.map((r) => `${r.policy} ${r.policyValue}`);
    const again = locations.find((l, i) => locations.indexOf(l) !== i);
    if (again) throw new InputError('routing-records', again, 'one record per location');
    if (!records.some((r) => r.policy === 'country' && r.policyValue === '*'))
      warnings.push('No geolocation default (country: "*"): Route 53 gives no answer to queries from locations no record names');
  }
  return warnings;
}

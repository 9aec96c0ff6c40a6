/**
 * Pure: the Route53 changes that take a record's group (every record set of one name and type)
 * from what it is to what the inputs ask, and nothing more: an unchanged record is left out, so
 * a second run changes nothing. Weights are UPSERTs keyed by set identifier (every weighted record
 * of the name gets the same TTL, as Route53 requires); a simple record becomes weighted records
 * by a DELETE of exactly what was read and CREATEs, in the same batch.
 */
import { createHash } from 'node:crypto';

export interface RecordSet {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  Weight?: number;
  TTL?: number;
  ResourceRecords?: { Value: string }[];
  AliasTarget?: unknown;
  HealthCheckId?: string;
  Failover?: string;
  Region?: string;
  GeoLocation?: { ContinentCode?: string; CountryCode?: string };
}

export interface Change {
  Action: 'CREATE' | 'DELETE' | 'UPSERT';
  ResourceRecordSet: RecordSet;
}

export interface HealthCheckSpec {
  type: 'HTTP' | 'HTTPS';
  ip?: string;
  host?: string;
  port: number;
  path: string;
  interval: number;
  failureThreshold: number;
}

export interface RoutingRecord {
  setIdentifier: string;
  value: string;
  policy: 'failover' | 'region' | 'continent' | 'country';
  policyValue: string;
  healthCheck?: HealthCheckSpec;
}

/** A plan the inputs cannot make (a weight for a record that does not exist and has no value, say). */
export class PlanError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`Input '${input}': ${message}`);
  }
}

export function weightsOf(group: readonly RecordSet[]): Record<string, number> {
  return Object.fromEntries(group.filter((r) => r.SetIdentifier !== undefined && r.Weight !== undefined).map((r) => [r.SetIdentifier!, r.Weight!]));
}

/** `active: green`: green 100, every other weighted record of the name (and any named in values) 0. */
export function activeWeights(active: string, group: readonly RecordSet[], values: Record<string, string>): Record<string, number> {
  const ids = new Set([...Object.keys(weightsOf(group)), ...Object.keys(values), active]);
  return Object.fromEntries([...ids].map((id) => [id, id === active ? 100 : 0]));
}

/** A canary step: `to` gets `percent`, the one other weighted record the rest of 100. */
export function canaryWeights(percent: number, to: string, group: readonly RecordSet[]): Record<string, number> {
  const others = Object.keys(weightsOf(group)).filter((id) => id !== to);
  if (others.length !== 1) throw new PlanError('canary-to', `a canary moves traffic between two weighted records; ${group[0]?.Name ?? 'the name'} has ${others.length} besides ${to}`);
  return { [to]: percent, [others[0]!]: 100 - percent };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The changes that set `weights` (and the TTL) on the weighted records of name/type. */
export function weightChanges(name: string, type: string, group: readonly RecordSet[], weights: Record<string, number>, values: Record<string, string>, ttl: number): Change[] {
  const changes: Change[] = [];
  const simple = group.find((r) => r.SetIdentifier === undefined);
  const weighted = new Map(group.filter((r) => r.SetIdentifier !== undefined && r.Weight !== undefined).map((r) => [r.SetIdentifier!, r]));
  const other = group.find((r) => r.SetIdentifier !== undefined && r.Weight === undefined);
  if (other) throw new PlanError('weights', `${name} ${type} has ${other.Failover ? 'failover' : other.Region ? 'latency' : 'geolocation'} records; Route53 does not mix them with weighted ones`);
  if (simple) changes.push({ Action: 'DELETE', ResourceRecordSet: simple });
  for (const [id, weight] of Object.entries(weights)) {
    const current = weighted.get(id);
    const records = values[id] !== undefined ? [{ Value: values[id] }] : (current?.ResourceRecords ?? (simple && Object.keys(weights).length === 1 ? simple.ResourceRecords : undefined));
    if (!current && !records) throw new PlanError('values', `${name} has no record ${id} to weight, and values gives none for it`);
    const next: RecordSet = current?.AliasTarget
      ? { ...current, Weight: weight }
      : { ...(current ?? {}), Name: name, Type: type, SetIdentifier: id, Weight: weight, TTL: ttl, ResourceRecords: records };
    if (!current || !same(current, next)) changes.push({ Action: simple ? 'CREATE' : 'UPSERT', ResourceRecordSet: next });
  }
  // The weighted records the inputs do not name keep their weight but take the TTL: Route53 wants one TTL for the set.
  for (const [id, r] of weighted) if (!(id in weights) && !r.AliasTarget && r.TTL !== ttl) changes.push({ Action: 'UPSERT', ResourceRecordSet: { ...r, TTL: ttl } });
  return changes;
}

/**
 * The failover, latency or geolocation records as given, with their health checks' ids; only
 * those that differ. The list is the whole set of the name: a record of it that the list does not
 * name is deleted (a third failover record, say, would make the set one Route 53 refuses).
 */
export function routingChanges(name: string, type: string, group: readonly RecordSet[], records: readonly RoutingRecord[], healthCheckIds: Record<string, string>, ttl: number): Change[] {
  const changes: Change[] = [];
  const simple = group.find((r) => r.SetIdentifier === undefined);
  if (simple) changes.push({ Action: 'DELETE', ResourceRecordSet: simple });
  const weighted = group.find((r) => r.Weight !== undefined);
  if (weighted) throw new PlanError('routing-records', `${name} ${type} has weighted records; Route53 does not mix them with ${records[0]!.policy} ones`);
  const listed = new Set(records.map((r) => r.setIdentifier));
  for (const r of group) if (r.SetIdentifier !== undefined && !listed.has(r.SetIdentifier)) changes.push({ Action: 'DELETE', ResourceRecordSet: r });
  for (const r of records) {
    const next: RecordSet = {
      Name: name,
      Type: type,
      SetIdentifier: r.setIdentifier,
      ...(r.policy === 'failover' ? { Failover: r.policyValue } : {}),
      ...(r.policy === 'region' ? { Region: r.policyValue } : {}),
      ...(r.policy === 'continent' ? { GeoLocation: { ContinentCode: r.policyValue } } : {}),
      ...(r.policy === 'country' ? { GeoLocation: { CountryCode: r.policyValue } } : {}),
      TTL: ttl,
      ResourceRecords: [{ Value: r.value }],
      ...(healthCheckIds[r.setIdentifier] ? { HealthCheckId: healthCheckIds[r.setIdentifier] } : {}),
    };
    const current = group.find((g) => g.SetIdentifier === r.setIdentifier);
    if (!current || !same(normalize(current), normalize(next))) changes.push({ Action: simple ? 'CREATE' : 'UPSERT', ResourceRecordSet: next });
  }
  return changes;
}

/** The load balancers' A records, `<lb>.<stack>.<environment>.<zone>`, those that differ. */
export function lbHostChanges(zone: string, stack: string, environment: string, hosts: Record<string, string[]>, existing: Record<string, RecordSet | undefined>, ttl: number): Change[] {
  const changes: Change[] = [];
  for (const [lb, ips] of Object.entries(hosts)) {
    const name = lbHostName(zone, stack, environment, lb);
    const next: RecordSet = { Name: name, Type: 'A', TTL: ttl, ResourceRecords: ips.map((Value) => ({ Value })) };
    const current = existing[name];
    if (!current || !same(normalize(current), normalize(next))) changes.push({ Action: 'UPSERT', ResourceRecordSet: next });
  }
  return changes;
}

export function lbHostName(zone: string, stack: string, environment: string, lb: string): string {
  return `${lb}.${stack}.${environment}.${zone.replace(/\.$/, '')}.`;
}

/** Field order and value order do not make two record sets different. */
function normalize(r: RecordSet): string {
  const fields: Record<string, unknown> = { ...r, ResourceRecords: (r.ResourceRecords ?? []).map((v) => v.Value).sort() };
  return JSON.stringify(Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))));
}

/**
 * A health check's configuration as a hash, the heart of its CallerReference: the same
 * configuration finds the same check on the next run; another creates a new one (Route53 cannot
 * change a check's type or interval).
 */
export function healthCheckHash(spec: HealthCheckSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 40);
}

export function healthCheckConfig(spec: HealthCheckSpec): Record<string, unknown> {
  return {
    Type: spec.type,
    ...(spec.ip ? { IPAddress: spec.ip } : {}),
    ...(spec.host ? { FullyQualifiedDomainName: spec.host } : {}),
    Port: spec.port,
    ResourcePath: spec.path,
    RequestInterval: spec.interval,
    FailureThreshold: spec.failureThreshold,
  };
}

/** The before/after table of a plan: one row per record set it writes. */
export function planTable(changes: readonly Change[], group: readonly RecordSet[]): [string, string, string][] {
  const describe = (r: RecordSet | undefined) =>
    !r
      ? 'none'
      : [
          r.Weight !== undefined ? `weight ${r.Weight}` : '',
          r.Failover ?? '',
          r.Region ?? '',
          r.GeoLocation ? Object.values(r.GeoLocation).join('') : '',
          r.ResourceRecords?.map((v) => v.Value).join(' ') ?? '',
          r.TTL !== undefined ? `ttl ${r.TTL}` : '',
          r.HealthCheckId ? `check ${r.HealthCheckId.slice(0, 8)}` : '',
        ]
          .filter(Boolean)
          .join(', ');
  return changes
    .filter((c) => c.Action !== 'DELETE' || c.ResourceRecordSet.SetIdentifier !== undefined)
    .map((c) => {
      if (c.Action === 'DELETE') return [`${c.ResourceRecordSet.Name} ${c.ResourceRecordSet.Type} ${c.ResourceRecordSet.SetIdentifier}`, describe(c.ResourceRecordSet), 'deleted'];
      const r = c.ResourceRecordSet;
      const before = group.find((g) => g.Name === r.Name && g.SetIdentifier === r.SetIdentifier) ?? changes.find((d) => d.Action === 'DELETE' && d.ResourceRecordSet.Name === r.Name)?.ResourceRecordSet;
      return [`${r.Name} ${r.Type}${r.SetIdentifier ? ` ${r.SetIdentifier}` : ''}`, describe(before), describe(r)];
    });
}

/**
 * Route53, through @aws-sdk/client-route-53 and its default credential chain (environment,
 * OIDC web identity as aws-actions/configure-aws-credentials sets it, profiles, instance roles).
 * The SDK is loaded on the first connect, after the inputs are validated. Retries are the SDK's
 * own strategy (standard mode: throttling, including PriorRequestNotComplete, 5xx and connection
 * errors, with backoff), configured with the number of attempts. Every failure names the
 * operation, the endpoint, the HTTP status and the AWS error code, with the server's text escaped
 * for the log. What real Route 53 does that an emulator does not show is handled here: names come
 * back with `\ooo` escapes (`*` as `\052`), several zones can share a name, a health check's
 * status follows the 18 % rule, and a deleted check's CallerReference stays taken for days.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { escapeLog } from './exec';

export interface Route53Options {
  endpoint?: string;
  region: string;
  maxAttempts: number;
}

interface RecordSetLike {
  Name?: string;
  Type?: string;
  SetIdentifier?: string;
}

type Sdk = typeof import('@aws-sdk/client-route-53');

/** The CallerReference of every health check this action makes starts so. */
const HEALTH_CHECK_PREFIX = 'drover-';
/** Such a CallerReference, and the configuration hash in it. */
const OWN_REFERENCE = new RegExp(`^${HEALTH_CHECK_PREFIX}([0-9a-f]{40})(-|$)`);

/** Route 53's own endpoint, where no other is given. */
export const ROUTE53_ENDPOINT = 'https://route53.amazonaws.com';

/** A failed request: the operation, where it went, and what came back. */
export class Route53Error extends Error {
  constructor(
    readonly operation: string,
    readonly status: number | undefined,
    readonly code: string,
    detail: string,
    endpoint: string,
  ) {
    super(`Route 53 ${operation} at ${endpoint} failed: ${status ? `HTTP ${status}` : 'no HTTP answer'}, ${escapeLog(code)}: ${escapeLog(detail)}`);
  }
}

/**
 * A DNS name in one normal form: `\ooo` escapes decoded (Route 53 lists `*` as `\052`), lower case,
 * one final dot.
 */
export function normalName(name: string): string {
  const decoded = name.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return `${decoded.toLowerCase().replace(/\.$/, '')}.`;
}

/**
 * Route 53's rule: a health check is healthy when more than 18 % of its checkers report it
 * healthy (Developer Guide, "How Amazon Route 53 determines whether a health check is healthy").
 */
export function healthyByShare(reports: readonly string[]): { healthy: boolean; detail: string } {
  const ok = reports.filter((s) => s.startsWith('Success')).length;
  const healthy = reports.length > 0 && ok / reports.length > 0.18;
  const failing = reports.find((s) => !s.startsWith('Success'));
  return { healthy, detail: `${ok} of ${reports.length} checkers report success${failing ? `; one reports ${failing}` : ''}` };
}

export class Route53 {
  private constructor(
    private readonly client: Route53Client,
    private readonly sdk: Sdk,
    readonly endpoint: string,
  ) {}

  static async connect(opts: Route53Options): Promise<Route53> {
    const sdk = await import('@aws-sdk/client-route-53');
    const client = new sdk.Route53Client({ region: opts.region, maxAttempts: opts.maxAttempts, retryMode: 'standard', ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) });
    return new Route53(client, sdk, opts.endpoint || ROUTE53_ENDPOINT);
  }

  /** One request, its failure as a Route53Error (after the SDK's own retries). */
  private async send<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'AbortError') throw err;
      throw new Route53Error(operation, e.$metadata?.httpStatusCode, e.Code ?? e.name ?? 'Error', e.message ?? String(err), this.endpoint);
    }
  }

  /** The hosted zone's id and name, from either; a name several zones share must be given as an id. */
  async zone(zone: string): Promise<{ id: string; name: string }> {
    if (/^[A-Z0-9]{1,32}$/.test(zone)) {
      const res = await this.send('GetHostedZone', () => this.client.send(new this.sdk.GetHostedZoneCommand({ Id: zone })));
      return { id: zone, name: normalName(res.HostedZone!.Name!) };
    }
    const wanted = normalName(zone);
    const res = await this.send('ListHostedZonesByName', () => this.client.send(new this.sdk.ListHostedZonesByNameCommand({ DNSName: wanted, MaxItems: 100 })));
    const found = (res.HostedZones ?? []).filter((z) => normalName(z.Name ?? '') === wanted);
    const id = (z: (typeof found)[number]) => z.Id!.replace(/^\/hostedzone\//, '');
    if (!found.length) throw new Error(`Input 'zone': no hosted zone named ${escapeLog(wanted)} that these credentials see`);
    if (found.length > 1)
      throw new Error(`Input 'zone': ${found.length} hosted zones are named ${escapeLog(wanted)} (${found.map((z) => `${escapeLog(id(z))}, ${z.Config?.PrivateZone ? 'private' : 'public'}`).join('; ')}); give the id of the one to change`);
    return { id: id(found[0]!), name: wanted };
  }

  /**
   * Every record set of one name and type, paged by hand (StartRecordName/Type/Identifier), with
   * names in normal form. A page that does not move on (an emulator that ignores
   * StartRecordIdentifier) ends the loop.
   */
  async group<T extends RecordSetLike>(zoneId: string, name: string, type: string): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<string>();
    const wanted = normalName(name);
    type Start = { StartRecordName: string; StartRecordType: string; StartRecordIdentifier?: string };
    let start: Start | undefined = { StartRecordName: name, StartRecordType: type };
    while (start) {
      const res: import('@aws-sdk/client-route-53').ListResourceRecordSetsCommandOutput = await this.send(
        'ListResourceRecordSets',
        () => this.client.send(new this.sdk.ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 300, ...start } as never)),
      );
      let left = false;
      for (const r of (res.ResourceRecordSets ?? []) as T[]) {
        if (normalName(r.Name ?? '') !== wanted || r.Type !== type) {
          left = true;
          break;
        }
        const key = `${r.SetIdentifier ?? ''}`;
        if (!seen.has(key)) out.push({ ...r, Name: wanted });
        seen.add(key);
      }
      const next: Start | undefined = res.IsTruncated && !left ? { StartRecordName: res.NextRecordName!, StartRecordType: res.NextRecordType!, StartRecordIdentifier: res.NextRecordIdentifier } : undefined;
      start = next && JSON.stringify(next) !== JSON.stringify(start) ? next : undefined;
    }
    return out;
  }

  /** One atomic change batch; its change id. */
  async change(zoneId: string, changes: readonly object[], comment: string): Promise<string> {
    const res = await this.send(
      'ChangeResourceRecordSets',
      () => this.client.send(new this.sdk.ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: comment, Changes: changes as never } })),
    );
    return res.ChangeInfo!.Id!.replace(/^\/change\//, '');
  }

  /**
   * Until Route53 reports the change INSYNC, reading it every `pollSeconds`; throws after
   * `timeoutSeconds`. Not the SDK's waiter: it retries on any error until its maximum wait, so a
   * missing GetChange permission would wait the whole timeout; here a refusal fails at once (the
   * SDK's retry strategy still retries throttling and 5xx).
   */
  async waitInSync(changeId: string, pollSeconds: number, timeoutSeconds: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const res = await this.send('GetChange', () => this.client.send(new this.sdk.GetChangeCommand({ Id: changeId })));
      const status = res.ChangeInfo?.Status ?? '';
      if (status === 'INSYNC') return;
      if (Date.now() + pollSeconds * 1000 > deadline) throw new Error(`Route 53 change ${changeId} was not INSYNC within ${timeoutSeconds} s (${escapeLog(status)})`);
      await sleep(pollSeconds * 1000, undefined, { signal });
    }
  }

  /** The health check made for this configuration (CallerReference `drover-<config hash>-…`), if there is one. */
  async findHealthCheck(configHash: string): Promise<string | undefined> {
    return (await this.ownHealthChecks()).get(configHash);
  }

  /**
   * The health check made for this configuration, created if there is none. A deleted check's
   * CallerReference stays taken for days (HealthCheckAlreadyExists), so each creation salts its
   * reference, and the check is found again by the reference's prefix. A created check is tagged
   * with its record and configuration.
   */
  async healthCheck(configHash: string, config: Record<string, unknown>, name: string): Promise<{ id: string; created: boolean }> {
    const known = await this.ownHealthChecks();
    const id = known.get(configHash);
    if (id) return { id, created: false };
    let created: import('@aws-sdk/client-route-53').CreateHealthCheckResponse | undefined;
    for (let attempt = 1; !created; attempt++)
      try {
        const reference = `${HEALTH_CHECK_PREFIX}${configHash}-${randomBytes(6).toString('hex')}`;
        created = await this.send('CreateHealthCheck', () => this.client.send(new this.sdk.CreateHealthCheckCommand({ CallerReference: reference, HealthCheckConfig: config as never })));
      } catch (err) {
        if (!(err instanceof Route53Error && err.code === 'HealthCheckAlreadyExists' && attempt < 3)) throw err;
      }
    const newId = created.HealthCheck!.Id!;
    known.set(configHash, newId);
    await this.send('ChangeTagsForResource', () => this.client.send(new this.sdk.ChangeTagsForResourceCommand({ ResourceType: 'healthcheck', ResourceId: newId, AddTags: [{ Key: 'Name', Value: name.slice(0, 256) }, { Key: 'drover:config', Value: configHash }] })));
    return { id: newId, created: true };
  }

  /** Deletes a health check this action made (its CallerReference says so); false for any other. */
  async deleteOwnHealthCheck(id: string): Promise<boolean> {
    if (!(await this.getHealthCheck(id))?.CallerReference?.startsWith(HEALTH_CHECK_PREFIX)) return false;
    await this.send('DeleteHealthCheck', () => this.client.send(new this.sdk.DeleteHealthCheckCommand({ HealthCheckId: id })));
    return true;
  }

  /** A health check's type; a gate needs one GetHealthCheckStatus can read (not CALCULATED, CLOUDWATCH_METRIC or RECOVERY_CONTROL). */
  async healthCheckType(id: string): Promise<string> {
    return (await this.getHealthCheck(id))?.HealthCheckConfig?.Type ?? '';
  }

  private async getHealthCheck(id: string): Promise<import('@aws-sdk/client-route-53').HealthCheck | undefined> {
    return (await this.send('GetHealthCheck', () => this.client.send(new this.sdk.GetHealthCheckCommand({ HealthCheckId: id })))).HealthCheck;
  }

  /** The account's health checks this action made, by configuration hash: listed once per run, every page. */
  private healthChecks?: Promise<Map<string, string>>;

  private ownHealthChecks(): Promise<Map<string, string>> {
    return (this.healthChecks ??= this.send('ListHealthChecks', async () => {
      const out = new Map<string, string>();
      for await (const page of this.sdk.paginateListHealthChecks({ client: this.client }, {}))
        for (const hc of page.HealthChecks ?? []) {
          const m = OWN_REFERENCE.exec(hc.CallerReference ?? '');
          if (m) out.set(m[1]!, hc.Id!);
        }
      return out;
    }));
  }

  /** Healthy as Route 53 decides it: more than 18 % of the checkers' latest observations report success. */
  async healthy(healthCheckId: string): Promise<{ healthy: boolean; detail: string }> {
    const res = await this.send('GetHealthCheckStatus', () => this.client.send(new this.sdk.GetHealthCheckStatusCommand({ HealthCheckId: healthCheckId })));
    return healthyByShare((res.HealthCheckObservations ?? []).map((o) => o.StatusReport?.Status ?? ''));
  }
}

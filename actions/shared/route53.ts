/**
 * Route53, through @aws-sdk/client-route-53 and its default credential chain (environment,
 * OIDC web identity as aws-actions/configure-aws-credentials sets it, profiles, instance roles).
 * The SDK is loaded on the first connect, after the inputs are validated. Retries are the SDK's
 * own strategy (standard mode: throttling, including PriorRequestNotComplete, 5xx and connection
 * errors, with backoff), configured with the number of attempts; the SDK's waiter reads a
 * change until it is INSYNC. ListResourceRecordSets has no paginator in the SDK: it is paged here.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';

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

/** The messages of the SDK's errors are the service's: they name the error code too. */
export function awsMessage(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}`;
}

export class Route53 {
  private constructor(
    private readonly client: Route53Client,
    private readonly sdk: typeof import('@aws-sdk/client-route-53'),
  ) {}

  static async connect(opts: Route53Options): Promise<Route53> {
    const sdk = await import('@aws-sdk/client-route-53');
    const client = new sdk.Route53Client({ region: opts.region, maxAttempts: opts.maxAttempts, retryMode: 'standard', ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) });
    return new Route53(client, sdk);
  }

  /** The hosted zone's id and name, from either. */
  async zone(zone: string): Promise<{ id: string; name: string }> {
    if (/^Z[A-Z0-9]+$/.test(zone)) {
      const res = await this.client.send(new this.sdk.GetHostedZoneCommand({ Id: zone }));
      return { id: zone, name: res.HostedZone!.Name! };
    }
    const wanted = `${zone.toLowerCase().replace(/\.$/, '')}.`;
    const res = await this.client.send(new this.sdk.ListHostedZonesByNameCommand({ DNSName: wanted, MaxItems: 10 }));
    const found = (res.HostedZones ?? []).filter((z) => z.Name?.toLowerCase() === wanted && !z.Config?.PrivateZone);
    const match = found[0] ?? (res.HostedZones ?? []).find((z) => z.Name?.toLowerCase() === wanted);
    if (!match) throw new Error(`Input 'zone': no hosted zone named ${wanted} that these credentials see`);
    return { id: match.Id!.replace(/^\/hostedzone\//, ''), name: match.Name! };
  }

  /**
   * Every record set of one name and type, paged by hand (StartRecordName/Type/Identifier). A page
   * that does not move on (an emulator that ignores StartRecordIdentifier) ends the loop.
   */
  async group<T extends RecordSetLike>(zoneId: string, name: string, type: string): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<string>();
    type Start = { StartRecordName: string; StartRecordType: string; StartRecordIdentifier?: string };
    let start: Start | undefined = { StartRecordName: name, StartRecordType: type };
    while (start) {
      const res: import('@aws-sdk/client-route-53').ListResourceRecordSetsCommandOutput = await this.client.send(
        new this.sdk.ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 300, ...start } as never),
      );
      let left = false;
      for (const r of (res.ResourceRecordSets ?? []) as T[]) {
        if (r.Name?.toLowerCase() !== name.toLowerCase() || r.Type !== type) {
          left = true;
          break;
        }
        const key = `${r.SetIdentifier ?? ''}`;
        if (!seen.has(key)) out.push(r);
        seen.add(key);
      }
      const next: Start | undefined = res.IsTruncated && !left ? { StartRecordName: res.NextRecordName!, StartRecordType: res.NextRecordType!, StartRecordIdentifier: res.NextRecordIdentifier } : undefined;
      start = next && JSON.stringify(next) !== JSON.stringify(start) ? next : undefined;
    }
    return out;
  }

  /** One atomic change batch; its change id. */
  async change(zoneId: string, changes: readonly object[], comment: string): Promise<string> {
    const res = await this.client.send(new this.sdk.ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: comment, Changes: changes as never } }));
    return res.ChangeInfo!.Id!.replace(/^\/change\//, '');
  }

  /** Until Route53 reports the change INSYNC, reading it every `pollSeconds`; throws after `timeoutSeconds`. */
  async waitInSync(changeId: string, pollSeconds: number, timeoutSeconds: number, signal?: AbortSignal): Promise<void> {
    const result = await this.sdk.waitUntilResourceRecordSetsChanged(
      { client: this.client, minDelay: pollSeconds, maxDelay: pollSeconds, maxWaitTime: Math.max(timeoutSeconds, pollSeconds + 1), abortSignal: signal as never },
      { Id: changeId },
    );
    if (result.state !== 'SUCCESS') throw new Error(`Route53 change ${changeId} was not INSYNC within ${timeoutSeconds} s (${result.state})`);
  }

  /** The health check made with this CallerReference, created with `config` if there is none. */
  async healthCheck(callerReference: string, config: Record<string, unknown>): Promise<{ id: string; created: boolean }> {
    const known = (this.healthChecks ??= this.listHealthChecks());
    const id = (await known).get(callerReference);
    if (id) return { id, created: false };
    const res = await this.client.send(new this.sdk.CreateHealthCheckCommand({ CallerReference: callerReference, HealthCheckConfig: config as never }));
    (await known).set(callerReference, res.HealthCheck!.Id!);
    return { id: res.HealthCheck!.Id!, created: true };
  }

  /** The account's health checks by CallerReference, listed once per run (every page). */
  private healthChecks?: Promise<Map<string, string>>;

  private async listHealthChecks(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for await (const page of this.sdk.paginateListHealthChecks({ client: this.client }, {})) for (const hc of page.HealthChecks ?? []) out.set(hc.CallerReference!, hc.Id!);
    return out;
  }

  /** Healthy when every checker's latest observation reports success. */
  async healthy(healthCheckId: string): Promise<{ healthy: boolean; detail: string }> {
    const res = await this.client.send(new this.sdk.GetHealthCheckStatusCommand({ HealthCheckId: healthCheckId }));
    const reports = (res.HealthCheckObservations ?? []).map((o) => o.StatusReport?.Status ?? '');
    const failing = reports.filter((s) => !s.startsWith('Success'));
    return { healthy: reports.length > 0 && failing.length === 0, detail: failing[0] ?? `${reports.length} checkers report success` };
  }
}

/**
 * dns-switch's test bed: moto's Route53 server, the fault proxy in front of it (a TEST DOUBLE, see
 * route53-faults.ts), an SDK client straight to moto for set-up and read-back, one hosted zone,
 * and a runner job that runs the bundle against the proxy with credentials that must never show.
 */
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { Job, type StepResult } from '../../scripts/harness';
import { startMoto } from '../../scripts/local-servers';
import { Route53Faults } from './route53-faults';

export const SECRET = 'aws-secret-key-do-not-log-0123456789';
export const TOKEN = 'aws-session-token-do-not-log-9876543210';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDROVERTEST', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN };

export class Route53Bed {
  private moto?: { url: string; stop: () => void };
  faults!: Route53Faults;
  client!: Route53Client;
  /** A client whose requests go through the fault proxy, which sees them (a check deleted by hand, say). */
  viaProxy!: Route53Client;
  zoneId = '';
  readonly job = new Job();
  readonly steps: StepResult[] = [];

  constructor(readonly zone = 'example.com') {}

  async start(): Promise<void> {
    this.moto = await startMoto();
    this.faults = new Route53Faults(this.moto.url);
    await this.faults.start();
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    this.client = new Route53Client({ region: 'us-east-1', endpoint: this.moto.url, credentials });
    this.viaProxy = new Route53Client({ region: 'us-east-1', endpoint: this.faults.url, credentials });
    this.zoneId = await this.createZone(this.zone);
  }

  async stop(): Promise<void> {
    await this.faults?.stop();
    this.moto?.stop();
    this.job.cleanup();
  }

  async createZone(name: string): Promise<string> {
    const zone = await this.client.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `drover-${process.pid}-${name}-${Math.random()}` }));
    return zone.HostedZone!.Id!.replace('/hostedzone/', '');
  }

  /** Fault switches back to none, and the calls forgotten. */
  reset(): void {
    this.faults.calls.length = 0;
    this.faults.throttle = 0;
    this.faults.pending = 0;
    this.faults.reject = false;
    this.faults.unhealthy.clear();
    this.faults.refuse = undefined;
    this.faults.serverError.clear();
    this.faults.escapeNames = false;
  }

  /** dns-switch through the fault proxy, as the runner runs it. */
  async run(inputs: Record<string, string>): Promise<StepResult> {
    const step = await this.job.run('dns-switch', { with: { zone: this.zone, endpoint: this.faults.url, 'poll-interval': '1', ...inputs }, env: CREDENTIALS });
    this.steps.push(step);
    return step;
  }

  async upsert(name: string, sets: { id?: string; weight?: number; value: string; ttl?: number }[]): Promise<void> {
    await this.client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: this.zoneId,
        ChangeBatch: {
          Changes: sets.map((s) => ({
            Action: 'UPSERT',
            ResourceRecordSet: { Name: name, Type: 'A', TTL: s.ttl ?? 60, ResourceRecords: [{ Value: s.value }], ...(s.id ? { SetIdentifier: s.id, Weight: s.weight } : {}) },
          })),
        },
      }),
    );
  }

  async records(name: string): Promise<ResourceRecordSet[]> {
    const res = await this.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: this.zoneId, StartRecordName: name, StartRecordType: 'A', MaxItems: 100 }));
    return (res.ResourceRecordSets ?? []).filter((r) => r.Name === name && r.Type === 'A');
  }

  async weights(name: string): Promise<Record<string, number>> {
    return Object.fromEntries((await this.records(name)).filter((r) => r.SetIdentifier).map((r) => [r.SetIdentifier!, r.Weight!]));
  }
}

export function log(step: StepResult): string {
  return `${step.stdout}\n${step.stderr}`;
}

/**
 * dns-switch against moto's Route53 server (started here), run as the runner runs the bundle;
 * gates against real HTTP servers on loopback. Throttling, PENDING changes and a rejected batch
 * come from test/support/route53-bed.faults.ts (TEST DOUBLE: fault injection in front of moto).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CreateHealthCheckCommand, ListHealthChecksCommand } from '@aws-sdk/client-route-53';
import { visibleText } from '../support/secrets';
import { log, Route53Bed, SECRET, TOKEN } from '../support/route53-bed';

const bed = new Route53Bed();
const run = (inputs: Record<string, string>) => bed.run(inputs);
const upsert: Route53Bed['upsert'] = (name, sets) => bed.upsert(name, sets);
const records: Route53Bed['records'] = (name) => bed.records(name);
const weights: Route53Bed['weights'] = (name) => bed.weights(name);

/** An HTTP server whose answers the test sets as it goes. */
async function gateServer(statuses: number[]): Promise<{ url: string; close: () => void; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((_req, res) => res.writeHead(statuses[Math.min(hits++, statuses.length - 1)]!).end()).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`, close: () => server.close(), hits: () => hits };
}

beforeAll(() => bed.start(), 60_000);
beforeEach(() => bed.reset());
afterAll(() => bed.stop());

describe('dns-switch against moto: weighted cut-over', () => {
  it('blue to green is one ChangeResourceRecordSets call, and the weights read back are right; previous-weights restores', async () => {
    await upsert('api.example.com.', [
      { id: 'blue', weight: 100, value: '10.0.0.1' },
      { id: 'green', weight: 0, value: '10.0.0.2' },
    ]);
    const step = await run({ record: 'api.example.com', weights: 'blue=0,green=100' });
    expect(step.exitCode, log(step)).toBe(0);
    expect(bed.faults.count('ChangeResourceRecordSets')).toBe(1);
    expect(await weights('api.example.com.')).toEqual({ blue: 0, green: 100 });
    expect(JSON.parse(step.outputs['previous-weights']!)).toEqual({ blue: 100, green: 0 });
    expect(JSON.parse(step.outputs.weights!)).toEqual({ blue: 0, green: 100 });
    expect(step.outputs['change-id']).toMatch(/^C\w+/);
    expect(bed.faults.count('GetChange')).toBeGreaterThanOrEqual(1); // waited for INSYNC
    expect(step.summary).toContain('weight 100, 10.0.0.1, ttl 60 → weight 0, 10.0.0.1, ttl 60');

    bed.faults.calls.length = 0;
    const back = await run({ record: 'api.example.com', 'previous-weights': step.outputs['previous-weights']! });
    expect(back.exitCode, log(back)).toBe(0);
    expect(await weights('api.example.com.')).toEqual({ blue: 100, green: 0 });
    expect(bed.faults.count('ChangeResourceRecordSets')).toBe(1);
  });

  it('`active: green` is the shorthand, and a second run changes nothing', async () => {
    await upsert('short.example.com.', [
      { id: 'blue', weight: 100, value: '10.0.1.1' },
      { id: 'green', weight: 0, value: '10.0.1.2' },
    ]);
    expect((await run({ record: 'short.example.com', active: 'green' })).exitCode).toBe(0);
    expect(await weights('short.example.com.')).toEqual({ blue: 0, green: 100 });
    bed.faults.calls.length = 0;
    const again = await run({ record: 'short.example.com', active: 'green' });
    expect(again.exitCode, log(again)).toBe(0);
    expect(bed.faults.count('ChangeResourceRecordSets')).toBe(0);
    expect(again.outputs['change-id']).toBe('');
  });

  it('a simple record becomes weighted records (DELETE and CREATE in one batch), every one with the same TTL', async () => {
    await upsert('www.example.com.', [{ value: '10.0.2.1', ttl: 300 }]);
    const step = await run({ record: 'www.example.com', active: 'blue', values: 'blue=10.0.2.1\ngreen=10.0.2.2' });
    expect(step.exitCode, log(step)).toBe(0);
    expect(bed.faults.count('ChangeResourceRecordSets')).toBe(1);
    const body = bed.faults.calls.find((c) => c.op === 'ChangeResourceRecordSets')!.body;
    expect([...body.matchAll(/<Action>(\w+)<\/Action>/g)].map((m) => m[1])).toEqual(['DELETE', 'CREATE', 'CREATE']);
    const after = await records('www.example.com.');
    expect(after.map((r) => [r.SetIdentifier, r.Weight, r.TTL, r.ResourceRecords?.[0]?.Value]).sort()).toEqual([
      ['blue', 100, 60, '10.0.2.1'],
      ['green', 0, 60, '10.0.2.2'],
    ]);
  });

  it('dry-run prints the before/after plan and sends no change', async () => {
    await upsert('dry.example.com.', [
      { id: 'blue', weight: 100, value: '10.0.3.1' },
      { id: 'green', weight: 0, value: '10.0.3.2' },
    ]);
    const step = await run({ record: 'dry.example.com', weights: 'blue=0,green=100', 'dry-run': 'true' });
    expect(step.exitCode, log(step)).toBe(0);
    expect(bed.faults.count('ChangeResourceRecordSets')).toBe(0);
    expect(step.stdout).toContain('dry.example.com. A green: weight 0, 10.0.3.2, ttl 60 -> weight 100, 10.0.3.2, ttl 60');
    expect(step.summary).toContain('dry run: none sent');
    expect(await weights('dry.example.com.')).toEqual({ blue: 100, green: 0 });
  });
});

describe('dns-switch against moto: canary steps with gates', () => {
  it('10, 50, 100 completes while the gate answers', async () => {
    await upsert('canary.example.com.', [
      { id: 'blue', weight: 100, value: '10.0.4.1' },
      { id: 'green', weight: 0, value: '10.0.4.2' },
    ]);
    const gate = await gateServer([200]);
    try {
      const step = await run({ record: 'canary.example.com', 'canary-steps': '10,50,100', 'canary-to': 'green', 'canary-pause': '0', 'gate-url': gate.url, 'gate-times': '2' });
      expect(step.exitCode, log(step)).toBe(0);
      expect(bed.faults.count('ChangeResourceRecordSets')).toBe(3);
      expect(gate.hits()).toBe(4); // two in a row before each of the two next steps
      const bodies = bed.faults.calls.filter((c) => c.op === 'ChangeResourceRecordSets').map((c) => [...c.body.matchAll(/<SetIdentifier>(\w+)<\/SetIdentifier><Weight>(\d+)/g)].map((m) => `${m[1]}=${m[2]}`).sort().join(','));
      expect(bodies).toEqual(['blue=90,green=10', 'blue=50,green=50', 'blue=0,green=100']);
      expect(await weights('canary.example.com.')).toEqual({ blue: 0, green: 100 });
    } finally {
      gate.close();
    }
  });

  it('a gate that fails at 50 restores the weights from before the first step, and says which gate at which step', async () => {
    await upsert('canary2.example.com.', [
      { id: 'blue', weight: 100, value: '10.0.5.1' },
      { id: 'green', weight: 0, value: '10.0.5.2' },
    ]);
    const gate = await gateServer([200, 200, 503]);
    try {
      const step = await run({ record: 'canary2.example.com', 'canary-steps': '10,50,100', 'canary-to': 'green', 'canary-pause': '0', 'gate-url': gate.url, 'gate-times': '2' });
      expect(step.exitCode).toBe(1);
      expect(step.errors[0]).toBe(`Canary gate failed at step 2 (green at 50): ${gate.url} answered HTTP 503 (answer 1 of 2 in a row, expected HTTP 200); weights restored to {"blue":100,"green":0}`);
      expect(await weights('canary2.example.com.')).toEqual({ blue: 100, green: 0 });
      expect(bed.faults.count('ChangeResourceRecordSets')).toBe(3); // 10, 50, then the restore
      const restoreAt = bed.faults.calls.findLastIndex((c) => c.op === 'ChangeResourceRecordSets');
      expect(bed.faults.calls.slice(restoreAt).some((c) => c.op === 'GetChange')).toBe(true); // waited for the restore to be INSYNC
    } finally {
      gate.close();
    }
  });
});

describe('dns-switch: a canary gated on a Route53 health check (its status injected: moto reports every check healthy)', () => {
  it('passes while the check is healthy, and restores the weights when it is not', async () => {
    const hc = await bed.client.send(
      new CreateHealthCheckCommand({ CallerReference: `gate-${process.pid}`, HealthCheckConfig: { Type: 'HTTP', IPAddress: '192.0.2.9', Port: 80, ResourcePath: '/health' } }),
    );
    const id = hc.HealthCheck!.Id!;
    await upsert('hc.example.com.', [
      { id: 'blue', weight: 100, value: '10.0.10.1' },
      { id: 'green', weight: 0, value: '10.0.10.2' },
    ]);
    const inputs = { record: 'hc.example.com', 'canary-steps': '20,100', 'canary-to': 'green', 'canary-pause': '0', 'gate-health-check-id': id };
    const ok = await run(inputs);
    expect(ok.exitCode, log(ok)).toBe(0);
    expect(bed.faults.count('GetHealthCheckStatus')).toBe(1);
    expect(await weights('hc.example.com.')).toEqual({ blue: 0, green: 100 });

    await upsert('hc.example.com.', [
      { id: 'blue', weight: 100, value: '10.0.10.1' },
      { id: 'green', weight: 0, value: '10.0.10.2' },
    ]);
    bed.faults.unhealthy.add(id);
    const failed = await run(inputs);
    expect(failed.exitCode).toBe(1);
    expect(failed.errors[0]).toBe(`Canary gate failed at step 1 (green at 20): health check ${id} is not healthy: 0 of 1 checkers report success; one reports Failure: HTTP Status Code 503, Service Unavailable; weights restored to {"blue":100,"green":0}`);
    expect(await weights('hc.example.com.')).toEqual({ blue: 100, green: 0 });
  });
});

describe('dns-switch against moto: failover and latency records with health checks', () => {
  it('geolocation records by continent and country', async () => {
    const step = await run({ record: 'geo.example.com', 'routing-records': '- {set-identifier: eu, value: 10.0.11.1, continent: EU}\n- {set-identifier: de, value: 10.0.11.2, country: DE}\n- {set-identifier: rest, value: 10.0.11.3, country: "*"}\n' });
    expect(step.exitCode, log(step)).toBe(0);
    const geo = (await records('geo.example.com.')) as { SetIdentifier?: string; GeoLocation?: object }[];
    expect(geo.map((r) => [r.SetIdentifier, r.GeoLocation]).sort()).toEqual([
      ['de', { CountryCode: 'DE' }],
      ['eu', { ContinentCode: 'EU' }],
      ['rest', { CountryCode: '*' }],
    ]);
  });

  const failover = `
- set-identifier: primary
  value: 198.51.100.61
  failover: PRIMARY
  health-check: {type: HTTP, port: 80, path: /health}
- set-identifier: secondary
  value: 198.51.100.62
  failover: SECONDARY
  health-check: {type: HTTP, port: 80, path: /health}
`;
  const latency = ['us-east-1', 'eu-west-1', 'ap-southeast-1']
    .map((region, i) => `- set-identifier: ${region}\n  value: 198.51.100.${71 + i}\n  region: ${region}\n  health-check: {type: HTTPS, path: /health, interval: 10, failure-threshold: 2}\n`)
    .join('');

  it('creates a failover pair and three latency records with their health checks; a second run changes nothing', async () => {
    const before = (await bed.client.send(new ListHealthChecksCommand({}))).HealthChecks?.length ?? 0;
    const a = await run({ record: 'fo.example.com', 'routing-records': failover });
    expect(a.exitCode, log(a)).toBe(0);
    const b = await run({ record: 'lat.example.com', 'routing-records': latency });
    expect(b.exitCode, log(b)).toBe(0);
    const checks = (await bed.client.send(new ListHealthChecksCommand({}))).HealthChecks ?? [];
    expect(checks.length - before).toBe(5);
    const fo = await records('fo.example.com.');
    expect(fo.map((r) => [r.SetIdentifier, r.Failover, Boolean(r.HealthCheckId)]).sort()).toEqual([
      ['primary', 'PRIMARY', true],
      ['secondary', 'SECONDARY', true],
    ]);
    const lat = await records('lat.example.com.');
    expect(lat.map((r) => r.Region).sort()).toEqual(['ap-southeast-1', 'eu-west-1', 'us-east-1']);
    const hc = checks.find((c) => c.Id === lat.find((r) => r.Region === 'eu-west-1')!.HealthCheckId)!;
    expect(hc.HealthCheckConfig).toMatchObject({ Type: 'HTTPS', IPAddress: '198.51.100.72', ResourcePath: '/health', RequestInterval: 10, FailureThreshold: 2 });

    bed.faults.calls.length = 0;
    for (const [record, list] of [['fo.example.com', failover], ['lat.example.com', latency]] as const) {
      const again = await run({ record, 'routing-records': list });
      expect(again.exitCode, log(again)).toBe(0);
    }
    expect(bed.faults.count('ChangeResourceRecordSets')).toBe(0);
    expect(bed.faults.calls.filter((c) => c.op.startsWith('POST') && c.op.includes('healthcheck'))).toHaveLength(0);
    expect((await bed.client.send(new ListHealthChecksCommand({}))).HealthChecks!.length - before).toBe(5);
  });

  it("upserts the load balancers' host records as <lb>.<stack>.<environment>.<zone>", async () => {
    const step = await run({ 'lb-hosts': 'lb=10.0.8.1,10.0.8.2', 'lb-stack': 'auth-green', 'lb-environment': 'production' });
    expect(step.exitCode, log(step)).toBe(0);
    const r = await records('lb.auth-green.production.example.com.');
    expect(r[0]!.ResourceRecords!.map((v) => v.Value).sort()).toEqual(['10.0.8.1', '10.0.8.2']);
  });
});

describe('dns-switch: faults (injected in front of moto: a test double)', () => {
  beforeEach(async () => {
    await upsert('bed.faults.example.com.', [
      { id: 'blue', weight: 100, value: '10.0.9.1' },
      { id: 'green', weight: 0, value: '10.0.9.2' },
    ]);
  });

  it('throttling is retried by the SDK with backoff, and bounded by max-attempts', async () => {
    bed.faults.throttle = 2;
    const ok = await run({ record: 'bed.faults.example.com', weights: 'blue=0,green=100' });
    expect(ok.exitCode, log(ok)).toBe(0);
    const tries = bed.faults.calls.filter((c) => c.op === 'ChangeResourceRecordSets').map((c) => c.at);
    expect(tries).toHaveLength(3);
    expect(tries[2]! - tries[1]!).toBeGreaterThan(0);
    expect(await weights('bed.faults.example.com.')).toEqual({ blue: 0, green: 100 });

    bed.faults.calls.length = 0;
    bed.faults.throttle = 100;
    const bounded = await run({ record: 'bed.faults.example.com', weights: 'blue=100,green=0', 'max-attempts': '3' });
    expect(bounded.exitCode).toBe(1);
    expect(bounded.errors[0]).toBe(`Route 53 ChangeResourceRecordSets at ${bed.faults.url} failed: HTTP 400, Throttling: Rate exceeded`);
    expect(bed.faults.count('ChangeResourceRecordSets')).toBe(3);
  });

  it('a change PENDING for a while is waited for', async () => {
    bed.faults.pending = 3;
    const step = await run({ record: 'bed.faults.example.com', weights: 'blue=0,green=100' });
    expect(step.exitCode, log(step)).toBe(0);
    expect(bed.faults.count('GetChange')).toBe(4);
    expect(step.stdout).toMatch(/Change \w+ is INSYNC/);
  });

  it('a rejected batch leaves the old weights', async () => {
    bed.faults.reject = true;
    const step = await run({ record: 'bed.faults.example.com', weights: 'blue=0,green=100' });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(/^Route 53 ChangeResourceRecordSets at http:\/\/127\.0\.0\.1:\d+ failed: HTTP 400, InvalidChangeBatch: RRSet with DNS name/);
    expect(await weights('bed.faults.example.com.')).toEqual({ blue: 100, green: 0 });
  });
});

describe('dns-switch: bad inputs fail in one line naming the input, before any request', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['weight 256', { record: 'api.example.com', weights: 'blue=256,green=0' }, /^Input 'weights' is invalid: "blue=256"; expected weights from 0 to 255$/],
    ['a negative weight', { record: 'api.example.com', weights: 'blue=-1,green=100' }, /^Input 'weights' is invalid: "blue=-1"; expected weights from 0 to 255$/],
    ['all weights 0 without allow-all-zero', { record: 'api.example.com', weights: 'blue=0,green=0' }, /^Input 'weights' is invalid: "blue=0,green=0"; expected at least one weight above 0/],
    ['a zone that is not a name or an id', { zone: 'not a zone!', record: 'api.example.com', active: 'green' }, /^Input 'zone' is invalid: "not a zone!"/],
    ['a record outside the zone', { record: 'api.example.org', active: 'green' }, /^Input 'record' is invalid: "api.example.org"; expected a name inside the zone example.com$/],
    ['a gate URL that is not http(s)', { record: 'api.example.com', 'canary-steps': '10,100', 'canary-to': 'green', 'gate-url': 'ftp://gate.example.com/' }, /^Input 'gate-url' is invalid: "ftp:\/\/gate.example.com\/"; expected an http:\/\/ or https:\/\/ URL without credentials$/],
    ['a ttl that is not a number', { record: 'api.example.com', active: 'green', ttl: 'sixty' }, /^Input 'ttl' is invalid: "sixty"/],
    ['canary steps that go down', { record: 'api.example.com', 'canary-steps': '50,10', 'canary-to': 'green' }, /^Input 'canary-steps' is invalid: "50,10"/],
  ];
  for (const [name, inputs, error] of cases)
    it(name, async () => {
      const step = await run(inputs);
      expect(step.exitCode).toBe(1);
      expect(step.errors).toHaveLength(1);
      expect(step.errors[0]).toMatch(error);
      expect(bed.faults.calls).toHaveLength(0);
    });

  it('an unknown zone fails naming the input, with no change sent', async () => {
    const step = await run({ zone: 'nowhere.example', record: 'api.nowhere.example', active: 'green' });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toBe("Input 'zone': no hosted zone named nowhere.example. that these credentials see");
    expect(bed.faults.count('ChangeResourceRecordSets')).toBe(0);
  });
});

describe('dns-switch: secrets', () => {
  it('the AWS secret key and session token appear in no log, output or summary of any run (the ::add-mask:: commands aside)', () => {
    expect(bed.steps.length).toBeGreaterThan(20);
    for (const step of bed.steps) {
      expect(step.masks).toEqual(expect.arrayContaining([SECRET, TOKEN]));
      const all = visibleText(step);
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain(TOKEN);
    }
  });
});

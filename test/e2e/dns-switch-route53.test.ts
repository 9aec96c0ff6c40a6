/**
 * dns-switch where real Route 53 differs from moto (shared/reference/route53.md, "Real Route 53
 * where moto is lenient"): against moto's server, with what moto does not do injected by the fault
 * proxy in front of it (test/support/route53-faults.ts, a TEST DOUBLE): names listed escaped, a
 * deleted check's CallerReference kept, refusals and server errors.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChangeResourceRecordSetsCommand, CreateHealthCheckCommand, DeleteHealthCheckCommand, ListHealthChecksCommand, ListTagsForResourceCommand } from '@aws-sdk/client-route-53';
import { visibleText } from '../support/secrets';
import { log, Route53Bed, SECRET, TOKEN } from '../support/route53-bed';

const bed = new Route53Bed();
beforeAll(() => bed.start(), 60_000);
beforeEach(() => bed.reset());
afterAll(() => bed.stop());

const checks = async () => (await bed.client.send(new ListHealthChecksCommand({}))).HealthChecks ?? [];

describe('names Route 53 lists escaped (ListResourceRecordSets: `*` as \\052)', () => {
  it('a wildcard simple record becomes weighted records: its DELETE is planned, and the weights read back', async () => {
    await bed.upsert('*.svc.example.com.', [{ value: '192.0.2.10' }]);
    bed.faults.escapeNames = true;
    const step = await bed.run({ record: '*.svc.example.com', active: 'blue', values: 'blue=192.0.2.10\ngreen=192.0.2.11' });
    expect(step.exitCode, log(step)).toBe(0);
    const body = bed.faults.calls.find((c) => c.op === 'ChangeResourceRecordSets')!.body;
    expect([...body.matchAll(/<Action>(\w+)<\/Action>/g)].map((m) => m[1])).toEqual(['DELETE', 'CREATE', 'CREATE']);
    bed.faults.calls.length = 0;
    const back = await bed.run({ record: '*.svc.example.com', active: 'green' });
    expect(back.exitCode, log(back)).toBe(0);
    expect(JSON.parse(back.outputs['previous-weights']!)).toEqual({ blue: 100, green: 0 });
    expect(await bed.weights('*.svc.example.com.')).toEqual({ blue: 0, green: 100 });
  });
});

describe('health checks as real Route 53 keeps them', () => {
  const routing = (path: string) => `- {set-identifier: primary, value: 198.51.100.1, failover: PRIMARY, health-check: {type: HTTP, path: ${path}}}\n- {set-identifier: secondary, value: 198.51.100.2, failover: SECONDARY}\n`;

  it('a check deleted by hand is made again under a new CallerReference (the old one stays taken), tagged with its record', async () => {
    const first = await bed.run({ record: 'ref.example.com', 'routing-records': routing('/ready') });
    expect(first.exitCode, log(first)).toBe(0);
    const made = (await bed.records('ref.example.com.')).find((r) => r.SetIdentifier === 'primary')!.HealthCheckId!;
    const reference = (await checks()).find((c) => c.Id === made)!.CallerReference!;
    expect(reference).toMatch(/^drover-[0-9a-f]{40}-[0-9a-f]{12}$/);
    const tags = await bed.client.send(new ListTagsForResourceCommand({ ResourceType: 'healthcheck', ResourceId: made }));
    expect(tags.ResourceTagSet?.Tags).toEqual(expect.arrayContaining([{ Key: 'Name', Value: 'ref.example.com. primary' }]));
    // someone deletes the check through the proxy, which then keeps its reference as Route 53 does
    await bed.viaProxy.send(new DeleteHealthCheckCommand({ HealthCheckId: made }));
    expect((await checks()).some((c) => c.Id === made)).toBe(false);

    const again = await bed.run({ record: 'ref.example.com', 'routing-records': routing('/ready') });
    expect(again.exitCode, log(again)).toBe(0);
    const remade = (await bed.records('ref.example.com.')).find((r) => r.SetIdentifier === 'primary')!.HealthCheckId!;
    expect(remade).not.toBe(made);
    expect((await checks()).find((c) => c.Id === remade)!.CallerReference).not.toBe(reference);
  });

  it('a check a record no longer uses is left in place, or deleted when asked, and only if dns-switch made it', async () => {
    const a = await bed.run({ record: 'swap.example.com', 'routing-records': routing('/a') });
    expect(a.exitCode, log(a)).toBe(0);
    const old = (await bed.records('swap.example.com.')).find((r) => r.SetIdentifier === 'primary')!.HealthCheckId!;
    const b = await bed.run({ record: 'swap.example.com', 'routing-records': routing('/b') });
    expect(b.exitCode, log(b)).toBe(0);
    expect(b.stdout).toContain(`Health checks no record uses now, left in place (delete-replaced-health-checks: false): ${old}`);
    expect((await checks()).some((c) => c.Id === old)).toBe(true);
    const replaced = (await bed.records('swap.example.com.')).find((r) => r.SetIdentifier === 'primary')!.HealthCheckId!;
    const c = await bed.run({ record: 'swap.example.com', 'routing-records': routing('/c'), 'delete-replaced-health-checks': 'true' });
    expect(c.exitCode, log(c)).toBe(0);
    expect(c.stdout).toContain(`Health check ${replaced} deleted: no record uses it now`);
    expect((await checks()).some((h) => h.Id === replaced)).toBe(false);

    // a check someone else made, on the record by hand, is never deleted
    const foreign = (await bed.client.send(new CreateHealthCheckCommand({ CallerReference: `someone-else-${process.pid}`, HealthCheckConfig: { Type: 'HTTP', IPAddress: '203.0.113.5', Port: 80, ResourcePath: '/' } }))).HealthCheck!.Id!;
    const primary = (await bed.records('swap.example.com.')).find((r) => r.SetIdentifier === 'primary')!;
    await bed.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: bed.zoneId, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { ...primary, HealthCheckId: foreign } }] } }));
    const d = await bed.run({ record: 'swap.example.com', 'routing-records': routing('/c'), 'delete-replaced-health-checks': 'true' });
    expect(d.exitCode, log(d)).toBe(0);
    expect(d.stdout).toContain(`Health check ${foreign} is no longer used, but was not made by dns-switch: left in place`);
    expect((await checks()).some((h) => h.Id === foreign)).toBe(true);
  });

  it('dry-run looks the checks up (read-only): an unchanged set plans nothing, a new check shows as (new)', async () => {
    expect((await bed.run({ record: 'dry-hc.example.com', 'routing-records': routing('/d') })).exitCode).toBe(0);
    bed.faults.calls.length = 0;
    const same = await bed.run({ record: 'dry-hc.example.com', 'routing-records': routing('/d'), 'dry-run': 'true' });
    expect(same.exitCode, log(same)).toBe(0);
    expect(same.stdout).toContain('routing records of dry-hc.example.com.: nothing to change');
    const changed = await bed.run({ record: 'dry-hc.example.com', 'routing-records': routing('/e'), 'dry-run': 'true' });
    expect(changed.stdout).toMatch(/dry-hc\.example\.com\. A primary: PRIMARY, 198\.51\.100\.1, ttl 60, check \w{8} -> PRIMARY, 198\.51\.100\.1, ttl 60, check \(new\)/);
    expect(bed.faults.calls.filter((c) => c.op === 'CreateHealthCheck' || c.op === 'ChangeResourceRecordSets')).toEqual([]);
  });
});

describe('the canary puts the weights back on any failure', () => {
  beforeEach(() => bed.upsert('can.example.com.', [{ id: 'blue', weight: 100, value: '192.0.2.21' }, { id: 'green', weight: 0, value: '192.0.2.22' }]));

  it('an AWS refusal while waiting for step 2 (AccessDenied on GetChange) fails at once, after the weights are restored', async () => {
    const gate = http.createServer((_q, r) => r.end('ok')).listen(0, '127.0.0.1');
    await new Promise((r) => gate.once('listening', r));
    // step 1's change is waited for; the first wait for step 2's is refused
    let refused = false;
    bed.faults.refuse = (op) => op === 'GetChange' && bed.faults.count('ChangeResourceRecordSets') === 2 && !refused && (refused = true);
    try {
      const url = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/`;
      const step = await bed.run({ record: 'can.example.com', 'canary-steps': '10,50,100', 'canary-to': 'green', 'canary-pause': '0', 'gate-url': url, 'max-attempts': '3' });
      expect(step.exitCode).toBe(1);
      expect(step.errors[0]).toMatch(
        /^Canary step 2 \(green at 50\) failed: Route 53 GetChange at http:\/\/127\.0\.0\.1:\d+ failed: HTTP 403, AccessDenied: User: .* is not authorized to perform: route53:GetChange; weights restored to \{"blue":100,"green":0\}$/,
      );
      expect(await bed.weights('can.example.com.')).toEqual({ blue: 100, green: 0 });
      expect(bed.faults.calls.filter((c) => c.op === 'ChangeResourceRecordSets' || c.op === 'GetChange').map((c) => c.op)).toEqual([
        'ChangeResourceRecordSets', // step 1
        'GetChange',
        'ChangeResourceRecordSets', // step 2
        'GetChange', // refused, and not retried
        'ChangeResourceRecordSets', // the restore
        'GetChange',
      ]);
    } finally {
      gate.close();
    }
  });

  it('a calculated health check as the gate is refused before any change (GetHealthCheckStatus cannot read it)', async () => {
    const child = await bed.client.send(new CreateHealthCheckCommand({ CallerReference: `child-${process.pid}`, HealthCheckConfig: { Type: 'HTTP', IPAddress: '203.0.113.7', Port: 80, ResourcePath: '/' } }));
    const calc = await bed.client.send(new CreateHealthCheckCommand({ CallerReference: `calc-${process.pid}`, HealthCheckConfig: { Type: 'CALCULATED', HealthThreshold: 1, ChildHealthChecks: [child.HealthCheck!.Id!] } }));
    const step = await bed.run({ record: 'can.example.com', 'canary-steps': '10,100', 'canary-to': 'green', 'canary-pause': '0', 'gate-health-check-id': calc.HealthCheck!.Id! });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toBe(`Input 'gate-health-check-id': ${calc.HealthCheck!.Id!} is a CALCULATED health check, whose status GetHealthCheckStatus cannot read; give an endpoint check (HTTP, HTTPS, HTTP_STR_MATCH, HTTPS_STR_MATCH, TCP)`);
    expect(bed.faults.count('ChangeResourceRecordSets')).toBe(0);
  });
});

describe('errors that say something', () => {
  it('an endpoint answering HTTP 500 fails naming the operation, the status, the code and the endpoint', async () => {
    await bed.upsert('err.example.com.', [{ id: 'blue', weight: 100, value: '192.0.2.31' }, { id: 'green', weight: 0, value: '192.0.2.32' }]);
    bed.faults.serverError.set('ChangeResourceRecordSets', 1);
    const step = await bed.run({ record: 'err.example.com', active: 'green', 'max-attempts': '1' });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(new RegExp(`^Route 53 ChangeResourceRecordSets at ${bed.faults.url.replace(/[.]/g, '\\.')} failed: HTTP 500, \\w+: `));
  });

  it('zones that share a name must be given by id, and the error lists them', async () => {
    const [a, b] = [await bed.createZone('twin.example.org'), await bed.createZone('twin.example.org')];
    const step = await bed.run({ zone: 'twin.example.org', record: 'api.twin.example.org', active: 'green', values: 'green=192.0.2.41' });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toBe(`Input 'zone': 2 hosted zones are named twin.example.org. (${a}, public; ${b}, public); give the id of the one to change`);
    const byId = await bed.run({ zone: b, record: 'api.twin.example.org', active: 'green', values: 'green=192.0.2.41' });
    expect(byId.exitCode, log(byId)).toBe(0);
  });

  it('a set identifier of any characters Route 53 allows round-trips through previous-weights', async () => {
    await bed.upsert('ids.example.com.', [{ id: 'Blue Stack', weight: 100, value: '192.0.2.51' }, { id: 'green (new)', weight: 0, value: '192.0.2.52' }]);
    const step = await bed.run({ record: 'ids.example.com', weights: 'Blue Stack=0\ngreen (new)=100' });
    expect(step.exitCode, log(step)).toBe(0);
    expect(JSON.parse(step.outputs['previous-weights']!)).toEqual({ 'Blue Stack': 100, 'green (new)': 0 });
    const back = await bed.run({ record: 'ids.example.com', 'previous-weights': step.outputs['previous-weights']! });
    expect(back.exitCode, log(back)).toBe(0);
    expect(await bed.weights('ids.example.com.')).toEqual({ 'Blue Stack': 100, 'green (new)': 0 });
  });

  it('a record value from the server is data in the log: a carriage return cannot start a workflow command', async () => {
    const hostile = 'x.example.net.\r::warning::injected';
    await bed.client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: bed.zoneId,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'cn.example.com.', Type: 'CNAME', TTL: 60, SetIdentifier: 'blue', Weight: 100, ResourceRecords: [{ Value: hostile }] } }] },
      }),
    );
    const step = await bed.run({ record: 'cn.example.com', type: 'CNAME', weights: 'blue=50', 'dry-run': 'true' });
    expect(step.exitCode, log(step)).toBe(0);
    expect(step.stdout).toMatch(/x\.example\.net\.\\x0[ad]::warning::injected/); // XML may carry the \r as a line feed
    expect(step.commands.filter((c) => c.command === 'warning')).toEqual([]);
    expect(step.summary).not.toContain('\r');
  });

  it('no run shows the AWS secret key or session token', () => {
    expect(bed.steps.length).toBeGreaterThan(10);
    for (const step of bed.steps) for (const secret of [SECRET, TOKEN]) expect(visibleText(step)).not.toContain(secret);
  });
});

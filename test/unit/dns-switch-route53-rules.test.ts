/**
 * dns-switch against Route 53's own rules, where moto is lenient (shared/reference/route53.md,
 * "Real Route 53 where moto is lenient"): each case cites where the rule comes from.
 */
import { describe, expect, it } from 'vitest';
import { healthyByShare, normalName } from '../../actions/shared/route53';
import { parseRouting, unroutable } from '../../actions/dns-switch/src/routing';
import { planTable, routingChanges, type RecordSet } from '../../actions/dns-switch/src/plan';
import { replacedHealthChecks } from '../../actions/dns-switch/src/health-checks';

const routing = (yaml: string, type: 'A' | 'AAAA' | 'CNAME' = 'A') => parseRouting(yaml, type);

describe('names come back escaped (API Reference, ListResourceRecordSets; terraform-provider-aws #501)', () => {
  it('\\052 is *, and names compare in one normal form', () => {
    expect(normalName('\\052.example.com.')).toBe('*.example.com.');
    expect(normalName('*.Example.COM')).toBe('*.example.com.');
    expect(normalName('a\\100b.example.com.')).toBe('a@b.example.com.');
    expect(normalName('plain.example.com')).toBe(normalName('plain.example.com.'));
  });
});

describe("a health check's status (Developer Guide: how Route 53 determines whether a health check is healthy)", () => {
  const reports = (ok: number, failing: number) => [...Array<string>(ok).fill('Success: HTTP Status Code 200, OK'), ...Array<string>(failing).fill('Failure: Connection timed out')];
  it('healthy when more than 18 % of the checkers report healthy', () => {
    expect(healthyByShare(reports(15, 1)).healthy).toBe(true);
    expect(healthyByShare(reports(3, 13)).healthy).toBe(true); // 18.75 %
    expect(healthyByShare(reports(2, 14)).healthy).toBe(false); // 12.5 %
    expect(healthyByShare(reports(0, 0)).healthy).toBe(false);
    expect(healthyByShare(reports(2, 14)).detail).toBe('2 of 16 checkers report success; one reports Failure: Connection timed out');
  });
});

describe('routing-records checked before any request (Developer Guide: failover, geolocation routing, choosing a routing policy)', () => {
  it('failover is exactly one PRIMARY and one SECONDARY; a PRIMARY without a health check is warned about', async () => {
    await expect(routing('- {set-identifier: a, value: 192.0.2.1, failover: PRIMARY}\n- {set-identifier: b, value: 192.0.2.2, failover: PRIMARY}')).rejects.toThrow(
      `Input 'routing-records' is invalid: "failover PRIMARY, PRIMARY"; expected exactly one PRIMARY and one SECONDARY`,
    );
    await expect(routing('- {set-identifier: a, value: 192.0.2.1, failover: PRIMARY}')).rejects.toThrow('expected exactly one PRIMARY and one SECONDARY');
    const { warnings } = await routing('- {set-identifier: a, value: 192.0.2.1, failover: PRIMARY}\n- {set-identifier: b, value: 192.0.2.2, failover: SECONDARY}');
    expect(warnings).toEqual(['The PRIMARY record a has no health check: Route 53 counts it healthy always, so it never fails over']);
  });

  it('one geolocation record per location, and a warning without the * default', async () => {
    await expect(routing('- {set-identifier: a, value: 192.0.2.1, country: DE}\n- {set-identifier: b, value: 192.0.2.2, country: DE}')).rejects.toThrow('"country DE"; expected one record per location');
    expect((await routing('- {set-identifier: a, value: 192.0.2.1, country: DE}\n- {set-identifier: b, value: 192.0.2.2, continent: EU}')).warnings[0]).toMatch(/^No geolocation default/);
    expect((await routing('- {set-identifier: a, value: 192.0.2.1, country: DE}\n- {set-identifier: b, value: 192.0.2.2, country: "*"}')).warnings).toEqual([]);
  });

  it('one routing policy per name, and one record per set identifier', async () => {
    await expect(routing('- {set-identifier: a, value: 192.0.2.1, region: eu-west-1}\n- {set-identifier: b, value: 192.0.2.2, failover: SECONDARY}')).rejects.toThrow('"region and failover"; expected one routing policy per name');
    await expect(routing('- {set-identifier: a, value: 192.0.2.1, region: eu-west-1}\n- {set-identifier: a, value: 192.0.2.2, region: us-east-1}')).rejects.toThrow('"set-identifier a twice"; expected a different set-identifier per record');
  });

  it("a health check needs an address or a host: an AAAA record's value, a CNAME's host (API Reference, HealthCheckConfig)", async () => {
    const v6 = await routing('- {set-identifier: a, value: "2001:db8::1", region: eu-west-1, health-check: {type: HTTP}}', 'AAAA');
    expect(v6.records[0]!.healthCheck!.ip).toBe('2001:db8::1');
    await expect(routing('- {set-identifier: a, value: app.example.net, region: eu-west-1, health-check: {type: HTTP}}', 'CNAME')).rejects.toThrow('health-check of a CNAME without host"; expected a host');
    const cname = await routing('- {set-identifier: a, value: app.example.net, region: eu-west-1, health-check: {type: HTTP, host: app.example.net}}', 'CNAME');
    expect(cname.records[0]!.healthCheck).toMatchObject({ host: 'app.example.net', ip: undefined });
  });

  it('a health check may not target a private or non-routable address (HealthCheckConfig IPAddress: RFC 5735, 6598, 5156)', async () => {
    for (const ip of ['10.0.0.1', '172.16.5.5', '192.168.1.1', '127.0.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', 'fe80::1', 'fd00::1'])
      expect(unroutable(ip), ip).toBe(true);
    for (const ip of ['192.0.2.44', '198.51.100.7', '203.0.113.9', '8.8.8.8', '172.32.0.1', '2001:db8::1']) expect(unroutable(ip), ip).toBe(false);
    await expect(routing('- {set-identifier: a, value: 10.0.0.1, region: eu-west-1, health-check: {type: HTTP}}')).rejects.toThrow(
      `Input 'routing-records' is invalid: "item 1: health-check ip 10.0.0.1"; expected a public address`,
    );
  });

  it('SetIdentifier is 1 to 128 characters of any kind (API Reference, ResourceRecordSet)', async () => {
    const { records } = await routing('- {set-identifier: "Blue Stack (eu)", value: 192.0.2.1, region: eu-west-1}');
    expect(records[0]!.setIdentifier).toBe('Blue Stack (eu)');
    await expect(routing(`- {set-identifier: "${'x'.repeat(129)}", value: 192.0.2.1, region: eu-west-1}`)).rejects.toThrow('expected 1 to 128 characters on one line');
  });
});

describe('the routing list is the whole set of the name', () => {
  const N = 'api.example.com.';
  const read = (id: string, failover: string, hc?: string): RecordSet => ({ Name: N, Type: 'A', SetIdentifier: id, Failover: failover, TTL: 60, ResourceRecords: [{ Value: '192.0.2.9' }], ...(hc ? { HealthCheckId: hc } : {}) });
  it('a record left in place but not listed is deleted in the same batch, and shown so', async () => {
    const { records } = await routing('- {set-identifier: a, value: 192.0.2.1, failover: PRIMARY, health-check: {type: HTTP}}\n- {set-identifier: b, value: 192.0.2.2, failover: SECONDARY}');
    const group = [read('old-primary', 'PRIMARY', 'hc-old'), read('b', 'SECONDARY')];
    const changes = routingChanges(N, 'A', group, records, { a: 'hc-new' }, 60);
    expect(changes.map((c) => `${c.Action} ${c.ResourceRecordSet.SetIdentifier}`)).toEqual(['DELETE old-primary', 'UPSERT a', 'UPSERT b']);
    expect(planTable(changes, group)[0]).toEqual(['api.example.com. A old-primary', 'PRIMARY, 192.0.2.9, ttl 60, check hc-old', 'deleted']);
    expect(replacedHealthChecks(group, { a: 'hc-new' })).toEqual(['hc-old']);
  });
});

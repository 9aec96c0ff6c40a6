/** dns-switch's pure plan: the Route53 changes from a record group and the inputs. */
import { describe, expect, it } from 'vitest';
import {
  activeWeights,
  canaryWeights,
  healthCheckHash,
  lbHostChanges,
  planTable,
  routingChanges,
  weightChanges,
  weightsOf,
  type RecordSet,
} from '../../actions/dns-switch/src/plan';

const N = 'api.example.com.';
const w = (id: string, weight: number, value: string, ttl = 60): RecordSet => ({ Name: N, Type: 'A', SetIdentifier: id, Weight: weight, TTL: ttl, ResourceRecords: [{ Value: value }] });
const group = [w('blue', 100, '10.0.0.1'), w('green', 0, '10.0.0.2')];

describe('dns-switch plan', () => {
  it('weights: UPSERTs of only the records that change, values and TTL kept', () => {
    const changes = weightChanges(N, 'A', group, { blue: 0, green: 100 }, {}, 60);
    expect(changes).toEqual([
      { Action: 'UPSERT', ResourceRecordSet: w('blue', 0, '10.0.0.1') },
      { Action: 'UPSERT', ResourceRecordSet: w('green', 100, '10.0.0.2') },
    ]);
    expect(weightChanges(N, 'A', group, { blue: 100, green: 0 }, {}, 60)).toEqual([]);
    expect(weightChanges(N, 'A', group, { green: 100 }, {}, 60)).toEqual([{ Action: 'UPSERT', ResourceRecordSet: w('green', 100, '10.0.0.2') }]);
  });

  it('one TTL for the whole weighted set: the records not named take it too', () => {
    const mixed = [w('blue', 100, '10.0.0.1', 300), w('green', 0, '10.0.0.2', 60)];
    expect(weightChanges(N, 'A', mixed, { green: 100 }, {}, 60).map((c) => [c.ResourceRecordSet.SetIdentifier, c.ResourceRecordSet.Weight, c.ResourceRecordSet.TTL])).toEqual([
      ['green', 100, 60],
      ['blue', 100, 60],
    ]);
  });

  it('a simple record: DELETE exactly as read, then CREATE the weighted ones, in one batch', () => {
    const simple: RecordSet = { Name: N, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '10.0.0.9' }] };
    const changes = weightChanges(N, 'A', [simple], { blue: 100, green: 0 }, { blue: '10.0.0.9', green: '10.0.0.8' }, 60);
    expect(changes.map((c) => c.Action)).toEqual(['DELETE', 'CREATE', 'CREATE']);
    expect(changes[0]!.ResourceRecordSet).toBe(simple);
    expect(() => weightChanges(N, 'A', [simple], { blue: 100, green: 0 }, { blue: '10.0.0.9' }, 60)).toThrow("Input 'values': api.example.com. has no record green to weight, and values gives none for it");
  });

  it('refuses to mix weighted with failover records', () => {
    expect(() => weightChanges(N, 'A', [{ ...w('x', 1, '10.0.0.1'), Weight: undefined, Failover: 'PRIMARY' }], { blue: 1 }, { blue: '10.0.0.1' }, 60)).toThrow(/failover records; Route53 does not mix them/);
  });

  it('active and canary weights', () => {
    expect(activeWeights('green', group, {})).toEqual({ blue: 0, green: 100 });
    expect(canaryWeights(10, 'green', group)).toEqual({ green: 10, blue: 90 });
    expect(() => canaryWeights(10, 'green', [...group, w('red', 0, '10.0.0.3')])).toThrow("Input 'canary-to': a canary moves traffic between two weighted records; api.example.com. has 2 besides green");
    expect(weightsOf(group)).toEqual({ blue: 100, green: 0 });
  });

  it('routing records: written once, then nothing while they stay the same', () => {
    const records = [{ setIdentifier: 'primary', value: '10.0.0.1', policy: 'failover' as const, policyValue: 'PRIMARY' }];
    const first = routingChanges(N, 'A', [], records, { primary: 'hc-1' }, 60);
    expect(first).toEqual([{ Action: 'UPSERT', ResourceRecordSet: { Name: N, Type: 'A', SetIdentifier: 'primary', Failover: 'PRIMARY', TTL: 60, ResourceRecords: [{ Value: '10.0.0.1' }], HealthCheckId: 'hc-1' } }]);
    const asRead = { ...first[0]!.ResourceRecordSet };
    expect(routingChanges(N, 'A', [asRead], records, { primary: 'hc-1' }, 60)).toEqual([]);
    expect(routingChanges(N, 'A', [asRead], records, { primary: 'hc-2' }, 60)).toHaveLength(1);
  });

  it('load balancer host records under <lb>.<stack>.<environment>.<zone>, value order ignored', () => {
    const changes = lbHostChanges('example.com.', 'auth-green', 'production', { lb: ['10.0.0.2', '10.0.0.1'] }, {}, 60);
    expect(changes[0]!.ResourceRecordSet.Name).toBe('lb.auth-green.production.example.com.');
    const existing = { 'lb.auth-green.production.example.com.': { Name: 'lb.auth-green.production.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.1' }, { Value: '10.0.0.2' }] } };
    expect(lbHostChanges('example.com.', 'auth-green', 'production', { lb: ['10.0.0.2', '10.0.0.1'] }, existing, 60)).toEqual([]);
  });

  it("a health check's configuration hash follows its configuration, and leaves room in a CallerReference (64) for a salt", () => {
    const spec = { type: 'HTTPS' as const, ip: '192.0.2.1', port: 443, path: '/health', interval: 30, failureThreshold: 3 };
    expect(healthCheckHash(spec)).toBe(healthCheckHash({ ...spec }));
    expect(healthCheckHash(spec)).not.toBe(healthCheckHash({ ...spec, path: '/' }));
    expect(`drover-${healthCheckHash(spec)}-${'0'.repeat(12)}`.length).toBeLessThanOrEqual(64);
  });

  it('the before/after table', () => {
    expect(planTable(weightChanges(N, 'A', group, { blue: 0, green: 100 }, {}, 60), group)).toEqual([
      ['api.example.com. A blue', 'weight 100, 10.0.0.1, ttl 60', 'weight 0, 10.0.0.1, ttl 60'],
      ['api.example.com. A green', 'weight 0, 10.0.0.2, ttl 60', 'weight 100, 10.0.0.2, ttl 60'],
    ]);
  });
});

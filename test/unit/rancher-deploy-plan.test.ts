/** rancher-deploy's pure plan: rollouts, colours, the load balancer and the stack files, and Compose interpolation. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { interpolate } from '../../actions/shared/compose';
import { INTERPOLATION_CASES, INTERPOLATION_VARS } from '../support/interpolation-cases';
import { runningImage, loadBalancerOf, rolloutFor, scalesOf, standbyOf, swarmStackFile } from '../../actions/rancher-deploy/src/plan';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/auth-service');
const files = {
  dockerCompose: fs.readFileSync(path.join(EXAMPLE, 'docker-compose.yml'), 'utf8'),
  rancherCompose: fs.readFileSync(path.join(EXAMPLE, 'rancher-compose.yml'), 'utf8'),
};

describe('Compose interpolation (only the given variables)', () => {
  it.each(INTERPOLATION_CASES)('%s', (text, expected) => {
    expect(interpolate(text, INTERPOLATION_VARS)).toBe(expected);
  });

  it('a required variable that is unset or empty fails, naming it', () => {
    expect(() => interpolate('${U:?set U}', INTERPOLATION_VARS)).toThrow('Compose variable U is required: set U');
    expect(() => interpolate('${E:?}', INTERPOLATION_VARS)).toThrow('Compose variable E is required');
    expect(interpolate('${E?}', INTERPOLATION_VARS)).toBe('');
  });

  it('never reads the process environment', () => {
    expect(interpolate('${HOME}', {})).toBe('');
  });
});

describe('rancher-deploy plan', () => {
  it('rollout: inputs over rancher-compose.yml upgrade_strategy over Rancher defaults (1, 2000 ms, stop-first)', () => {
    expect(rolloutFor('auth-service', {}, files.rancherCompose)).toEqual({ batchSize: 1, intervalMs: 2000, startFirst: true });
    expect(rolloutFor('db', {}, files.rancherCompose)).toEqual({ batchSize: 1, intervalMs: 2000, startFirst: false });
    expect(rolloutFor('auth-service', { batchSize: 2, startFirst: false }, files.rancherCompose)).toEqual({ batchSize: 2, intervalMs: 2000, startFirst: false });
    expect(rolloutFor('web', {}, 'services:\n  web:\n    upgrade_strategy:\n      batch_size: 3\n      interval_millis: 500\n')).toEqual({ batchSize: 3, intervalMs: 500, startFirst: false });
    expect(rolloutFor('web', {}, '')).toEqual({ batchSize: 1, intervalMs: 2000, startFirst: false });
  });

  it('blue-green: blue first, then the colour that is not active', () => {
    expect(standbyOf('auth', undefined)).toEqual({ standby: 'auth-blue' });
    expect(standbyOf('auth', 'auth-blue')).toEqual({ standby: 'auth-green', active: 'auth-blue' });
    expect(standbyOf('auth', 'auth-green')).toEqual({ standby: 'auth-blue', active: 'auth-green' });
    expect(standbyOf('auth', 'other')).toEqual({ standby: 'auth-blue' });
  });

  it('the load balancer and the scales rancher-compose.yml describes', () => {
    expect(loadBalancerOf(files.rancherCompose)).toEqual({ name: 'auth-lb', scale: 1, portRules: [{ sourcePort: 9000, targetPort: 9000, protocol: 'http', service: 'auth-service' }] });
    expect(loadBalancerOf('services:\n  web: {}\n')).toBeUndefined();
    expect(scalesOf(files.dockerCompose, files.rancherCompose)).toEqual({ db: 1, 'auth-service': 2 });
  });

  it('swarm stack file: interpolated with the given variables only, scale and upgrade_strategy as deploy keys, $ kept literal', () => {
    const dc = 'services:\n  web:\n    image: ${IMAGE:-web:1}\n    environment:\n      GREETING: "cost: $$5 ${WHO}"\n    depends_on: [db]\n    deploy:\n      update_config:\n        monitor: 10s\n  lb:\n    image: haproxy\n';
    const rc = 'services:\n  web:\n    scale: 3\n    upgrade_strategy:\n      start_first: true\n      interval_millis: 1000\n  lb:\n    lb_config:\n      port_rules: [{source_port: 80, service: web}]\n';
    const out = parse(swarmStackFile({ dockerCompose: dc, rancherCompose: rc }, { WHO: 'world' }, 'r/web:2', ['web'], { batchSize: 2 })) as {
      services: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(out.services)).toEqual(['web']); // the LB is swarm's own, not the stack's
    expect(out.services.web).toEqual({
      image: 'r/web:2',
      environment: { GREETING: 'cost: $$5 world' }, // `$$` again, so the CLI's interpolation reads `$5`
      deploy: { replicas: 3, update_config: { monitor: '10s', parallelism: 2, delay: '1000ms', order: 'start-first', failure_action: 'rollback' } },
    });
  });

  it('the image as shown: no docker: prefix, no pinned digest', () => {
    expect(runningImage('docker:r/a:1')).toBe('r/a:1');
    // the exact reference, so a user can deploy it again by hand: the digest swarm pinned stays
    expect(runningImage(`r/a:1@sha256:${'a'.repeat(64)}`)).toBe(`r/a:1@sha256:${'a'.repeat(64)}`);
    expect(runningImage(`r/a@sha256:${'a'.repeat(64)}`)).toBe(`r/a@sha256:${'a'.repeat(64)}`);
  });
});

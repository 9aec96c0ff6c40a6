/**
 * rancher-deploy's translation of compose files into the dialect Rancher 1.6's server-side
 * executor accepts (V10 of shared/reference/rancher-1.6-conformance.md). What it sends is read
 * back by the simulator's executor (a TEST DOUBLE built from rancher-compose-executor's rules),
 * and what it refuses is refused with the file, the key and the reason.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { toRancherDialect, type DialectOptions } from '../../actions/rancher-deploy/src/rancher-dialect';
import { readStack } from '../support/rancher-simulator/executor';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/auth-service');
const DC = fs.readFileSync(path.join(EXAMPLE, 'docker-compose.yml'), 'utf8');
const RC = fs.readFileSync(path.join(EXAMPLE, 'rancher-compose.yml'), 'utf8');
const OPTS: DialectOptions = { composeFile: 'docker-compose.yml', rancherComposeFile: 'rancher-compose.yml', variables: {}, image: 'r/auth:2', services: ['auth-service'], withoutLb: false, lbImage: 'rancher/lb-service-haproxy:v0.9.14' };

type Services = Record<string, Record<string, unknown>>;

describe("rancher-deploy: compose files in Rancher 1.6's dialect (V10)", () => {
  it("the example's own files, as they are, are refused by Rancher's executor (version, healthcheck, depends_on condition, ${VAR:-x})", () => {
    expect(() => readStack(DC, RC, {})).toThrow();
  });

  it("translated, the example's files are accepted by the executor: version 2, the image set, the LB given its image and published ports", () => {
    const out = toRancherDialect(DC, RC, OPTS);
    const specs = readStack(out.dockerCompose, out.rancherCompose, {});
    expect(specs.map((s) => [s.name, s.kind, s.scale])).toEqual([
      ['db', 'service', 1],
      ['auth-service', 'service', 2],
      ['auth-lb', 'loadBalancerService', 1],
    ]);
    const dc = parse(out.dockerCompose) as { version: unknown; services: Services };
    expect(dc.version).toBe('2');
    expect(dc.services['auth-service']).toMatchObject({ image: 'r/auth:2', depends_on: ['db'], expose: ['9000'] });
    expect(dc.services['auth-service']!.ports).toBeUndefined(); // the LB publishes 9000, not each container
    expect(dc.services['auth-lb']).toEqual({ image: 'rancher/lb-service-haproxy:v0.9.14', ports: ['9000:9000/tcp'] });
    const rc = parse(out.rancherCompose) as { services: Services };
    expect(rc.services['auth-service']!.health_check).toMatchObject({ port: 9000, request_line: 'GET /health HTTP/1.0', interval: 2000, response_timeout: 2000, unhealthy_threshold: 3 });
    expect(out.notes).toEqual([
      "db: its healthcheck is not carried over: Rancher checks a port, not a command; give it a health_check in rancher-compose.yml to gate on its health",
      'auth-service: depends_on conditions dropped; Rancher starts the services in order and does not wait for their health',
      'auth-service: ports 9000:9000 kept inside the stack (expose); the load balancer auth-lb publishes them',
    ]);
  });

  it('a colour stack leaves the load balancer out of both files', () => {
    const out = toRancherDialect(DC, RC, { ...OPTS, withoutLb: true });
    expect(Object.keys((parse(out.dockerCompose) as { services: Services }).services)).toEqual(['db', 'auth-service']);
    expect(Object.keys((parse(out.rancherCompose) as { services: Services }).services)).toEqual(['auth-service', 'db']);
  });

  it('variables are interpolated here, defaults included; a $ left is written $$, so the executor keeps it', () => {
    const dc = 'services:\n  web:\n    image: acme/web:${TAG:-1}\n    environment:\n      PRICE: "$$5 ${WHO}"\n';
    const out = toRancherDialect(dc, '', { ...OPTS, services: [], variables: { WHO: 'you' } });
    const [web] = readStack(out.dockerCompose, out.rancherCompose, {});
    expect(web!.launchConfig).toMatchObject({ imageUuid: 'docker:acme/web:1', environment: { PRICE: '$5 you' } });
  });

  it('a healthcheck fills in the timings a health_check leaves out, from compose durations', () => {
    const dc = 'services:\n  web:\n    image: w\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 1m30s\n      timeout: 500ms\n      retries: 4\n';
    const rc = 'version: "2"\nservices:\n  web:\n    health_check:\n      port: 80\n      interval: 1000\n';
    const out = toRancherDialect(dc, rc, { ...OPTS, services: [] });
    expect((parse(out.rancherCompose) as { services: Services }).services.web!.health_check).toEqual({ port: 80, interval: 1000, response_timeout: 500, unhealthy_threshold: 4 });
  });

  it('a service with nothing under it is refused for its missing image, not with a crash', () => {
    expect(() => toRancherDialect('services:\n  web:\n', '', { ...OPTS, services: [] })).toThrow(/services\.web\.image cannot go to Rancher \(every service needs an image on Rancher\)/);
    expect(parse(toRancherDialect('services:\n  web:\n', '', { ...OPTS, services: ['web'] }).dockerCompose).services.web).toEqual({ image: 'r/auth:2' });
  });

  const refused: [string, string, RegExp][] = [
    ['env_file', 'services:\n  web:\n    image: w\n    env_file: .env\n', /services\.web\.env_file cannot go to Rancher \(Rancher reads the compose file on its server/],
    ['build without an image', 'services:\n  web:\n    build: .\n', /services\.web\.build cannot go to Rancher \(Rancher pulls images/],
    ["swarm's deploy", 'services:\n  web:\n    image: w\n    deploy:\n      replicas: 2\n', /services\.web\.deploy cannot go to Rancher \(swarm's deploy settings/],
    ['a key compose v2.0 does not know', 'services:\n  web:\n    image: w\n    init: true\n', /services\.web\.init cannot go to Rancher \(Rancher 1\.6's compose executor reads compose v2\.0/],
    ['top-level secrets', 'services:\n  web:\n    image: w\nsecrets:\n  s:\n    file: ./s\n', /secrets cannot go to Rancher/],
    ['depends_on that is neither a list nor a map', 'services:\n  web:\n    image: w\n    depends_on: db\n', /services\.web\.depends_on cannot go to Rancher \(a list of service names\)/],
  ];
  it.each(refused)('refused before any request, naming the file, the key and the reason: %s', (_name, dc, message) => {
    expect(() => toRancherDialect(dc, '', { ...OPTS, services: [] })).toThrow(/^Input 'compose-file' is invalid: "docker-compose\.yml"; expected a file Rancher 1\.6 accepts: /);
    expect(() => toRancherDialect(dc, '', { ...OPTS, services: [] })).toThrow(message);
  });
});

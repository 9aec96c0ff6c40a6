import { describe, expect, it } from 'vitest';
import { manifest } from '../../scripts/harness';
import { endpoints, projectName, PROJECT_RE } from '../../actions/compose-itest/src/project';
import { rewritePorts } from '../../actions/compose-itest/src/ports';
import { parseChecks, request } from '../../actions/compose-itest/src/checks';
import { assess, parsePortWait } from '../../actions/compose-itest/src/readiness';
import type { ContainerState } from '../../actions/shared/compose';

const container = (over: Partial<ContainerState>): ContainerState => ({
  id: 'id', name: 'p-svc-1', service: 'svc', status: 'running', exitCode: 0, health: '', healthLog: [], ports: [], ...over,
});

describe('project names', () => {
  it('are unique per repository, job, run, attempt and instance, and valid for Compose', () => {
    const name = projectName({ repository: 'Acme/Auth_Service', job: 'integration-test', runId: '123456', attempt: '2', instance: '3' }, 'a1b2c3');
    expect(name).toBe('auth-service-integration-test-123456-2-3-a1b2c3');
    expect(name).toMatch(PROJECT_RE);
    const long = projectName({ repository: 'o/' + 'r'.repeat(80), job: 'j'.repeat(40), runId: '1', attempt: '1', instance: '' }, 'ffffff');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(PROJECT_RE);
    expect(long.endsWith('-1-1-ffffff')).toBe(true);
  });
});

describe('endpoints', () => {
  it('names host, port and URL variables per service and container port', () => {
    const found = endpoints([
      container({ service: 'auth-service', ports: [{ containerPort: 9000, protocol: 'tcp', host: '127.0.0.1', hostPort: 49153 }] }),
      container({ service: 'db', ports: [] }),
    ]);
    expect(found.byService).toEqual({ 'auth-service': { 9000: { host: '127.0.0.1', port: 49153, url: 'http://127.0.0.1:49153' } } });
    expect(found.env).toEqual({ AUTH_SERVICE_9000_HOST: '127.0.0.1', AUTH_SERVICE_9000_PORT: '49153', AUTH_SERVICE_9000_URL: 'http://127.0.0.1:49153' });
  });
});

describe('port rewrite', () => {
  it('publishes fixed host ports on free ones, in short and long syntax, keeping the host address', () => {
    const { model, rewrites } = rewritePorts({
      services: {
        web: { ports: ['9000:9000', '127.0.0.1:8080:80/udp', '3000'] },
        api: { ports: [{ target: 80, published: '8081', protocol: 'tcp', mode: 'ingress' }, { target: 81, protocol: 'tcp' }] },
        db: {},
      },
    });
    expect(model.services.web!.ports).toEqual(['9000', '127.0.0.1::80/udp', '3000']);
    expect(model.services.api!.ports).toEqual([{ target: 80, protocol: 'tcp', mode: 'ingress' }, { target: 81, protocol: 'tcp' }]);
    expect(model.services.db).toEqual({});
    expect(rewrites.map((r) => `${r.service} ${r.from} -> ${r.to}`)).toEqual(['web 9000:9000 -> 9000', 'web 127.0.0.1:8080:80/udp -> 127.0.0.1::80/udp', 'api 8081:80 -> 80']);
  });
});

describe('check files', () => {
  it('express the e-book check and build the request', async () => {
    const [check] = await parseChecks('checks:\n  - service: auth\n    port: 9000\n    method: put\n    path: /user\n    form: { userid: bob, password: pw }\n    expect: { status: 409, body: exists }\n    repeat: 2\n');
    expect(check).toMatchObject({ method: 'PUT', path: '/user', repeat: 2, expect: { status: 409, body: 'exists' } });
    const { url, init } = request(check!, { host: '127.0.0.1', port: 1234, url: 'http://127.0.0.1:1234' });
    expect(url).toBe('http://127.0.0.1:1234/user');
    expect(init.body).toBe('userid=bob&password=pw');
    expect((init.headers as Record<string, string>)['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it.each([
    ['no list', 'x: 1', /no `checks:` list/],
    ['no service', 'checks:\n  - port: 1\n    path: /\n    expect: {status: 200}', /check 1: `service`/],
    ['bad path', 'checks:\n  - {service: a, port: 1, path: x, expect: {status: 200}}', /`path` must be a path/],
    ['bad method', 'checks:\n  - {service: a, port: 1, path: /, method: FETCH, expect: {status: 200}}', /`method`/],
    ['two bodies', 'checks:\n  - {service: a, port: 1, path: /, form: {a: 1}, json: {}, expect: {status: 200}}', /form and json/],
    ['no status', 'checks:\n  - {name: n, service: a, port: 1, path: /}', /check 1 \(n\): `expect.status`/],
  ])('reject %s, naming the check and field', async (_n, text, message) => {
    await expect(parseChecks(text)).rejects.toThrow(message);
  });
});

describe('readiness verdicts', () => {
  it('waits for health where there is a check, else for running', () => {
    expect(assess([container({ health: 'starting' })], ['svc'])).toEqual({ ready: false, waiting: ['svc'] });
    expect(assess([container({ health: 'healthy' })], ['svc']).ready).toBe(true);
    expect(assess([container({})], ['svc']).ready).toBe(true);
    expect(assess([], ['svc'])).toEqual({ ready: false, waiting: ['svc'] });
  });

  it('fails at once when waiting cannot help, and accepts a finished one-shot service', () => {
    expect(assess([container({ status: 'exited', exitCode: 2 })], ['svc']).failed).toBe('svc exited with code 2');
    expect(assess([container({ health: 'unhealthy', healthLog: ['exit 1: refused'] })], ['svc']).failed).toContain('svc is unhealthy; last health checks:\nexit 1: refused');
    expect(assess([container({ status: 'exited', exitCode: 0 })], ['svc']).ready).toBe(true);
  });

  it('parses wait-for entries', () => {
    expect(parsePortWait('db:3306')).toEqual({ service: 'db', port: 3306, path: undefined });
    expect(parsePortWait('auth-service:9000/health')).toEqual({ service: 'auth-service', port: 9000, path: '/health' });
    expect(parsePortWait('db')).toBeUndefined();
  });
});

describe('waiting until ready', () => {
  it('leaves no listener on the job signal, however many times it waited', async () => {
    const { getEventListeners } = await import('node:events');
    const { waitUntilReady } = await import('../../actions/compose-itest/src/readiness');
    const controller = new AbortController();
    let reads = 0;
    const compose = { project: `no-such-project-${process.pid}`, containers: async () => (reads++, [container({ service: 'db', health: 'starting' })]) };
    const err = await waitUntilReady(compose as never, ['db'], Date.now() + 2_500, controller.signal).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^Not ready within the wait timeout: db \(starting\)/);
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('teardown', () => {
  it("gives containers Docker's own 10 s to stop before they are killed, not 0", () => {
    expect(manifest('compose-itest').inputs!['down-timeout']!.default).toBe('10');
  });
});

/**
 * Declarative HTTP checks, from a YAML file such as:
 *
 *   checks:
 *     - name: register a new user
 *       service: auth-service
 *       port: 9000
 *       method: PUT
 *       path: /user
 *       form: { userid: alice, password: s3cret }
 *       expect: { status: 200 }
 *     - name: the same user again conflicts
 *       service: auth-service
 *       port: 9000
 *       method: PUT
 *       path: /user
 *       form: { userid: alice, password: s3cret }
 *       expect: { status: 409, body: exists }
 */
import type { Endpoint } from './project';

export interface Check {
  name: string;
  service: string;
  port: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  form?: Record<string, string>;
  json?: unknown;
  body?: string;
  expect: { status: number; body?: string };
  repeat: number;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Parses and validates a check file; every problem names the check and the field. */
export async function parseChecks(text: string): Promise<Check[]> {
  const { parse } = await import('yaml'); // loaded on first use: a faster start
  const doc = parse(text) as { checks?: unknown };
  if (!doc || !Array.isArray(doc.checks) || doc.checks.length === 0) throw new Error('the file has no `checks:` list');
  return doc.checks.map((raw: Record<string, unknown>, i: number) => {
    const where = `check ${i + 1}${typeof raw?.name === 'string' ? ` (${raw.name})` : ''}`;
    const fail = (field: string, accepted: string): never => {
      throw new Error(`${where}: \`${field}\` must be ${accepted}`);
    };
    if (!raw || typeof raw !== 'object') fail('-', 'a mapping');
    const service = typeof raw.service === 'string' && raw.service ? raw.service : fail('service', 'a service name');
    const port = Number.isInteger(raw.port) && (raw.port as number) > 0 ? (raw.port as number) : fail('port', 'a container port number');
    const method = String(raw.method ?? 'GET').toUpperCase();
    if (!METHODS.includes(method)) fail('method', `one of ${METHODS.join(', ')}`);
    const path = typeof raw.path === 'string' && raw.path.startsWith('/') ? raw.path : fail('path', 'a path starting with /');
    const expect = (raw.expect ?? {}) as { status?: unknown; body?: unknown };
    const status = Number.isInteger(expect.status) ? (expect.status as number) : fail('expect.status', 'an HTTP status code');
    if (expect.body !== undefined && typeof expect.body !== 'string') fail('expect.body', 'a text fragment');
    const bodies = ['form', 'json', 'body'].filter((k) => raw[k] !== undefined);
    if (bodies.length > 1) fail(bodies.join(' and '), 'one of form, json or body');
    if (raw.form !== undefined && (typeof raw.form !== 'object' || Array.isArray(raw.form))) fail('form', 'a mapping of fields');
    const repeat = raw.repeat === undefined ? 1 : Number.isInteger(raw.repeat) && (raw.repeat as number) >= 1 ? (raw.repeat as number) : fail('repeat', 'a whole number of at least 1');
    return {
      name: typeof raw.name === 'string' ? raw.name : `${method} ${service}:${port}${path}`,
      service,
      port,
      method,
      path,
      headers: Object.fromEntries(Object.entries((raw.headers ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
      form: raw.form ? Object.fromEntries(Object.entries(raw.form as Record<string, unknown>).map(([k, v]) => [k, String(v)])) : undefined,
      json: raw.json,
      body: raw.body === undefined ? undefined : String(raw.body),
      expect: { status, body: expect.body as string | undefined },
      repeat,
    };
  });
}

/** What a check sends: the URL, method, headers and body. Pure, so it can be shown and tested. */
export function request(check: Check, endpoint: Endpoint): { url: string; init: RequestInit } {
  const headers: Record<string, string> = { ...check.headers };
  let body: string | undefined = check.body;
  if (check.form) {
    body = new URLSearchParams(check.form).toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (check.json !== undefined) {
    body = JSON.stringify(check.json);
    headers['content-type'] ??= 'application/json';
  }
  return { url: `${endpoint.url}${check.path}`, init: { method: check.method, headers, body } };
}

/** Runs the checks in order; returns the first failure, or undefined when all pass. */
export async function runChecks(
  checks: readonly Check[],
  endpointOf: (service: string, port: number) => Endpoint | undefined,
  log: (line: string) => void,
): Promise<string | undefined> {
  for (const check of checks) {
    const endpoint = endpointOf(check.service, check.port);
    if (!endpoint) return `${check.name}: ${check.service} publishes no port ${check.port}`;
    for (let n = 1; n <= check.repeat; n++) {
      const { url, init } = request(check, endpoint);
      let status: number;
      let text: string;
      try {
        const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
        status = res.status;
        text = await res.text();
      } catch (err) {
        return `${check.name}: ${check.method} ${url} failed: ${(err as Error).message}`;
      }
      const ok = status === check.expect.status && (check.expect.body === undefined || text.includes(check.expect.body));
      log(`${ok ? 'PASS' : 'FAIL'} ${check.name}${check.repeat > 1 ? ` (${n}/${check.repeat})` : ''}: ${check.method} ${check.path} -> ${status}`);
      if (!ok)
        return `${check.name}: expected ${check.expect.status}${check.expect.body ? ` with "${check.expect.body}"` : ''}, got ${status}: ${text.trim().slice(0, 200)}`;
    }
  }
  return undefined;
}

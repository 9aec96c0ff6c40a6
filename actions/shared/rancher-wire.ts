/**
 * What a Rancher 1.x server sends, read as untrusted: error bodies, bodies bounded in size,
 * links re-based onto the configured origin, ids compared as Cattle parses them. The client is
 * rancher.ts; the facts are shared/reference/rancher-1.6-conformance.md's vectors.
 */
import { escapeLog } from './exec';
import { PermanentError } from './retry';

/** An answer of the API that a retry cannot change (4xx), with the body's code and field. */
export class RancherError extends PermanentError {
  override name = 'RancherError';
  constructor(
    message: string,
    status: number,
    readonly code?: string,
  ) {
    super(message, status);
  }
}

interface ErrorBody {
  code?: string;
  fieldName?: string;
  message?: string | null;
  detail?: string | null;
}

/** An error body's fields (V1, V12); none when it is not JSON (a proxy's page, say). */
export function errorBody(text: string): ErrorBody {
  try {
    return (JSON.parse(text) ?? {}) as ErrorBody;
  } catch {
    return {};
  }
}

/** The message of an error body: `422 ActionNotAvailable (field action): message`, escaped. */
export function errorMessage(what: string, status: number, body: string): string {
  const parsed = errorBody(body);
  const parts = [`${what}: HTTP ${status}`];
  if (parsed.code) parts.push(parsed.code);
  if (parsed.fieldName) parts.push(`(field ${parsed.fieldName})`);
  const text = parsed.message ?? parsed.detail ?? (parsed.code ? '' : body.slice(0, 200));
  return escapeLog(text ? `${parts.join(' ')}: ${text}` : parts.join(' '));
}

/** The most a body may hold. */
const MAX_BODY = 32 * 1024 * 1024;

/** The body, refused past MAX_BODY whatever the server says its length is. */
export async function boundedText(res: Response, what: string): Promise<string> {
  if (Number(res.headers.get('content-length') ?? 0) > MAX_BODY) throw new RancherError(`${what}: the answer is over ${MAX_BODY} bytes; not read`, 502);
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel();
      throw new RancherError(`${what}: the answer is over ${MAX_BODY} bytes; not read`, 502);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A link from the server re-based onto `origin` (the configured origin and path): the part from
 * `/v1/` or `/v2-beta/` on is kept, the server's origin never (V6). Anything else is refused.
 */
export function rebase(link: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new RancherError(`The server sent a link that is not a URL: ${escapeLog(link.slice(0, 200))}`, 502);
  }
  const at = /\/(v1|v2-beta)(\/|$)/.exec(url.pathname);
  if (!at || !/^https?:$/.test(url.protocol)) throw new RancherError(`The server sent a link outside its API, not followed: ${escapeLog(link.slice(0, 200))}`, 502);
  return `${origin}${url.pathname.slice(at.index)}${url.search}`;
}

/** A URL is sent a key only over HTTPS, or over HTTP to this machine. */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Ids compare without their type letters (V8): 1e7, 1st7 and 7 are one stack. */
export function sameId(a: unknown, b: unknown): boolean {
  const n = (v: unknown) => /(\d+)$/.exec(String(v ?? ''))?.[1];
  return n(a) !== undefined && n(a) === n(b);
}

/** The first of `items` whose name is `name`, compared as Rancher compares names (V4: case-insensitively). */
export function byName<T extends { name?: unknown }>(items: readonly T[], name: string): T | undefined {
  return items.find((i) => String(i.name ?? '').toLowerCase() === name.toLowerCase());
}

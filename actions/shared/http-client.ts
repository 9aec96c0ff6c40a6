/**
 * The part of @actions/http-client's API that @actions/core, @actions/tool-cache and
 * @actions/github call, served by the runtime's own fetch. The build puts this module in place
 * of @actions/http-client (and of undici's fetch), so bundles do not carry undici (about
 * 350 KB) and start fast. Proxies: runAction points the runtime's fetch at HTTP(S)_PROXY
 * and NO_PROXY when they are set (useProxyFromEnv).
 */
import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';

const REQUEST_TIMEOUT_MS = 5 * 60_000;

type Headers = Record<string, string | number | undefined>;

interface Message extends Readable {
  statusCode: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
}

export class HttpClientResponse {
  constructor(readonly message: Message) {}
  async readBody(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.message) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
}

export class HttpClientError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

export class BearerCredentialHandler {
  constructor(readonly token: string) {}
}

/** undici's fetch, for @actions/github: the runtime's own. */
export const fetch = globalThis.fetch;

export class HttpClient {
  /** No agent of our own: requests go through the runtime's fetch. */
  getAgent(_url: string): undefined {
    return undefined;
  }

  getAgentDispatcher(_url: string): undefined {
    return undefined;
  }

  constructor(
    readonly userAgent = 'drover',
    readonly handlers: BearerCredentialHandler[] = [],
  ) {}

  async get(url: string, headers: Headers = {}): Promise<HttpClientResponse> {
    const h: Record<string, string> = { 'user-agent': this.userAgent };
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k.toLowerCase()] = String(v);
    for (const handler of this.handlers) h.authorization = `Bearer ${handler.token}`;
    const res = await globalThis.fetch(url, { headers: h, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = res.body ? Readable.fromWeb(res.body as never) : Readable.from([]);
    const message = Object.assign(body, {
      statusCode: res.status,
      statusMessage: res.statusText,
      headers: Object.fromEntries(res.headers.entries()),
    });
    return new HttpClientResponse(message);
  }

  async getJson<T>(url: string, headers: Headers = {}): Promise<{ statusCode: number; result: T | null }> {
    const res = await this.get(url, { accept: 'application/json', ...headers });
    const { statusCode } = res.message;
    const body = await res.readBody();
    if (statusCode === 404) return { statusCode, result: null };
    if (statusCode >= 400) throw new HttpClientError(`HTTP ${statusCode} from ${url}`, statusCode);
    return { statusCode, result: body ? (JSON.parse(body) as T) : null };
  }
}

/**
 * The Rancher 1.x (Cattle) API: the only place that builds its requests. v1 and v2-beta paths,
 * environment and account API keys (HTTP basic auth), name lookups with paging and the
 * case-insensitive fallback rancher-compose uses, resource actions, and waiting on the
 * `transitioning` / `state` fields. Every request has a timeout; 5xx answers, connection errors
 * and timeouts are retried with backoff, 4xx never; 422 bodies become messages that name the
 * code and the field.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { escapeLog } from './exec';
import { TransientError, PermanentError, withRetry } from './retry';

export type ApiVersion = 'v1' | 'v2-beta';

export interface Resource {
  id: string;
  type: string;
  name?: string;
  state?: string;
  transitioning?: string;
  transitioningMessage?: string;
  healthState?: string;
  links: Record<string, string>;
  actions: Record<string, string>;
  [field: string]: unknown;
}

interface Collection {
  data: Resource[];
  pagination?: { next?: string | null };
}

export interface RancherOptions {
  /** The server's address: https://rancher.example.com, optionally with /v1, /v2-beta or /v2-beta/projects/<id>. */
  url: string;
  accessKey: string;
  secretKey: string;
  /** Environment (project) name or id; with an environment key it may be left out. */
  environment?: string;
  timeoutMs: number;
  retries: number;
  signal?: AbortSignal;
}

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

/** The message of an error body: `422 ActionNotAvailable (field action): message`. */
export function errorMessage(what: string, status: number, body: string): string {
  let parsed: { code?: string; fieldName?: string; message?: string | null; detail?: string | null } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    // not JSON: a proxy's page, say
  }
  const parts = [`${what}: HTTP ${status}`];
  if (parsed.code) parts.push(parsed.code);
  if (parsed.fieldName) parts.push(`(field ${parsed.fieldName})`);
  const text = parsed.message ?? parsed.detail ?? (parsed.code ? '' : body.slice(0, 200));
  return escapeLog(text ? `${parts.join(' ')}: ${text}` : parts.join(' '));
}

const PAGE = 1000;

export class Rancher {
  readonly origin: string;
  readonly version: ApiVersion;
  private projectPath = '';
  private readonly auth: string;

  constructor(readonly opts: RancherOptions) {
    const url = new URL(opts.url);
    const m = /^(.*?)\/(v1|v2-beta)(?:\/projects\/([^/]+))?\/?$/.exec(url.pathname);
    this.origin = `${url.origin}${m ? m[1] : url.pathname.replace(/\/$/, '')}`;
    this.version = (m?.[2] as ApiVersion | undefined) ?? 'v2-beta';
    if (m?.[3]) this.projectPath = `/projects/${m[3]}`;
    this.auth = `Basic ${Buffer.from(`${opts.accessKey}:${opts.secretKey}`).toString('base64')}`;
  }

  /** The v1 name of a stack is `environment`; its services point at it with `environmentId`. */
  get stacks(): string {
    return this.version === 'v1' ? 'environments' : 'stacks';
  }

  get stackIdField(): string {
    return this.version === 'v1' ? 'environmentId' : 'stackId';
  }

  private url(p: string): string {
    return /^https?:\/\//.test(p) ? p : `${this.origin}/${this.version}${this.projectPath}${p}`;
  }

  async request<T>(method: string, p: string, body?: unknown): Promise<T> {
    const url = this.url(p);
    const what = `${method} ${new URL(url).pathname}${new URL(url).search}`;
    return withRetry(
      `Rancher ${what}`,
      async () => {
        const res = await fetch(url, {
          method,
          headers: { authorization: this.auth, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: this.opts.signal ? AbortSignal.any([this.opts.signal, AbortSignal.timeout(this.opts.timeoutMs)]) : AbortSignal.timeout(this.opts.timeoutMs),
        });
        const text = await res.text();
        if (res.status >= 500 || res.status === 429) throw new TransientError(errorMessage(what, res.status, text), res.status);
        if (res.status >= 400) {
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { code?: string }).code;
          } catch {
            // no body
          }
          const hint = res.status === 401 ? ' (check the access key and secret key)' : '';
          throw new RancherError(errorMessage(what, res.status, text) + hint, res.status, code);
        }
        return (text ? JSON.parse(text) : undefined) as T;
      },
      { retries: this.opts.retries, minTimeoutMs: 500, maxTimeoutMs: 5_000, signal: this.opts.signal },
    );
  }

  /** Every page of a collection. */
  async list(p: string, filters: Record<string, string> = {}): Promise<Resource[]> {
    const query = new URLSearchParams({ ...filters, limit: String(PAGE) });
    const out: Resource[] = [];
    let next: string | null | undefined = `${p}?${query}`;
    while (next) {
      const page: Collection = await this.request<Collection>('GET', next);
      out.push(...page.data);
      next = page.pagination?.next;
    }
    return out;
  }

  /** Resolves the environment (project) once; every later path is under /projects/<id>. */
  async connect(): Promise<Resource | undefined> {
    if (this.projectPath) return undefined;
    const wanted = this.opts.environment;
    const projects = await this.list('/projects');
    const match = wanted
      ? (projects.find((p) => p.id === wanted) ?? byName(projects, wanted))
      : projects.length === 1
        ? projects[0]
        : undefined;
    if (!match)
      throw new RancherError(
        wanted
          ? `Rancher environment '${escapeLog(wanted)}' not found; the key sees: ${projects.map((p) => escapeLog(String(p.name))).join(', ') || 'none'}`
          : `The key sees ${projects.length} environments (${projects.map((p) => escapeLog(String(p.name))).join(', ')}): set the input environment`,
        404,
      );
    this.projectPath = `/projects/${match.id}`;
    return match;
  }

  /** By exact name, then case-insensitively over every non-removed one (as rancher-compose does). */
  async findByName(collection: string, name: string, filters: Record<string, string> = {}): Promise<Resource | undefined> {
    const exact = await this.list(`/${collection}`, { name, removed_null: '', ...filters });
    if (exact[0]) return exact[0];
    return byName(await this.list(`/${collection}`, { removed_null: '', ...filters }), name);
  }

  findStack(name: string): Promise<Resource | undefined> {
    return this.findByName(this.stacks, name);
  }

  findService(stack: Resource, name: string): Promise<Resource | undefined> {
    return this.findByName('services', name, { [this.stackIdField]: stack.id });
  }

  reload(r: Resource): Promise<Resource> {
    return this.request<Resource>('GET', r.links.self!);
  }

  create(collection: string, body: Record<string, unknown>): Promise<Resource> {
    return this.request<Resource>('POST', `/${collection}`, body);
  }

  update(r: Resource, fields: Record<string, unknown>): Promise<Resource> {
    return this.request<Resource>('PUT', r.links.self!, fields);
  }

  /** Calls a resource action; an action the current state does not offer is a clear error before any request. */
  action(r: Resource, name: string, body: unknown = {}): Promise<Resource> {
    const url = r.actions?.[name];
    if (!url)
      throw new RancherError(`${r.type} ${escapeLog(String(r.name ?? r.id))} is '${escapeLog(String(r.state))}': the action ${name} is not available in that state`, 422, 'ActionNotAvailable');
    return this.request<Resource>('POST', url, body);
  }

  /**
   * Reloads `r` every `pollMs` until `done` says so; undefined at the deadline. A state the
   * server reports as an error (transitioning "error") ends the wait with that message.
   */
  async waitFor(r: Resource, done: (r: Resource) => boolean, opts: { deadline: number; pollMs?: number; onChange?: (r: Resource) => void }): Promise<Resource | undefined> {
    let current = r;
    for (;;) {
      current = await this.reload(current);
      opts.onChange?.(current);
      if (done(current)) return current;
      if (current.transitioning === 'error')
        throw new RancherError(`${current.type} ${escapeLog(String(current.name))}: ${escapeLog(String(current.transitioningMessage ?? 'error'))}`, 500);
      if (Date.now() >= opts.deadline) return undefined;
      await sleep(Math.min(opts.pollMs ?? 1_000, Math.max(0, opts.deadline - Date.now())), undefined, { signal: this.opts.signal });
    }
  }
}

function byName(items: Resource[], name: string): Resource | undefined {
  return items.find((i) => String(i.name ?? '').toLowerCase() === name.toLowerCase());
}

/**
 * The Rancher 1.x (Cattle) API: the only place that builds its requests. v1 and v2-beta paths,
 * environment and account API keys (HTTP basic auth), name lookups with paging, resource
 * actions, and waiting on the `transitioning` / `state` fields. Every request has a timeout;
 * 5xx answers, 409 Conflict (a busy resource), connection errors and timeouts are retried with
 * backoff, other 4xx never; 422 bodies become messages that name the code and the field. A
 * write that is not idempotent (a create, an action) is read back before it is retried, so a
 * write that took effect while its answer was lost is not made twice.
 *
 * The key goes only where the user sent it: every link, action and next page the server
 * returns is re-based onto the configured origin and API path (or refused), redirects are
 * errors, and answers are bounded in size and pages (rancher-wire.ts reads what the server
 * sends). Facts: shared/reference/rancher-1.6-conformance.md.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { escapeLog } from './exec';
import { TransientError, isRetryable, withRetry } from './retry';
import { RancherError, boundedText, byName, errorBody, errorMessage, isLoopback, rebase, sameId } from './rancher-wire';

export { RancherError } from './rancher-wire';

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

const PAGE = 1000;
/** Bounds the pages a list follows (a body's bound is rancher-wire.ts's). */
const MAX_PAGES = 200;

/** 409 is a busy resource (V20): transient, as 5xx are. */
function retryable(err: unknown): boolean {
  return isRetryable(err) || (err instanceof RancherError && err.status === 409);
}


export class Rancher {
  readonly origin: string;
  readonly version: ApiVersion;
  private projectPath = '';
  private readonly auth: string;

  constructor(readonly opts: RancherOptions) {
    const url = new URL(opts.url);
    if (url.protocol !== 'https:' && !isLoopback(url.hostname)) throw new RancherError(`Refusing to send the API key to ${url.origin} over plain HTTP: use https://`, 400);
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

  /** A path of ours, or a link from the server re-based onto the configured origin (rebase). */
  private url(p: string): string {
    return /^[a-z][a-z0-9+.-]*:/i.test(p) ? rebase(p, this.origin) : `${this.origin}/${this.version}${this.projectPath}${p}`;
  }

  /**
   * One request, retried as the policy says. `recover` is asked before each retry of a write
   * that is not idempotent: a value it finds (the write took effect) is the answer.
   */
  async request<T>(method: string, p: string, body?: unknown, recover?: () => Promise<T | undefined>): Promise<T> {
    const url = this.url(p);
    const what = escapeLog(`${method} ${new URL(url).pathname}${new URL(url).search}`);
    return withRetry(
      `Rancher ${what}`,
      async (attempt) => {
        if (attempt > 1 && recover) {
          const done = await recover();
          if (done !== undefined) return done;
        }
        const res = await fetch(url, {
          method,
          redirect: 'manual',
          headers: { authorization: this.auth, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: this.opts.signal ? AbortSignal.any([this.opts.signal, AbortSignal.timeout(this.opts.timeoutMs)]) : AbortSignal.timeout(this.opts.timeoutMs),
        });
        if (res.status >= 300 && res.status < 400) {
          await res.body?.cancel();
          throw new RancherError(
            `${what}: HTTP ${res.status}, a redirect to ${escapeLog(String(res.headers.get('location') ?? 'nowhere').slice(0, 200))}; not followed, the key goes only to ${this.origin} (set rancher-url to the address the server answers on)`,
            res.status,
          );
        }
        const text = await boundedText(res, what);
        if (res.status >= 500 || res.status === 429) throw new TransientError(errorMessage(what, res.status, text), res.status);
        if (res.status >= 400) {
          const hint = res.status === 401 ? ' (check the access key and secret key)' : '';
          throw new RancherError(errorMessage(what, res.status, text) + hint, res.status, errorBody(text).code);
        }
        return (text ? JSON.parse(text) : undefined) as T;
      },
      { retries: this.opts.retries, minTimeoutMs: 500, maxTimeoutMs: 5_000, signal: this.opts.signal, retryable },
    );
  }

  /** Every page of a collection. */
  async list(p: string, filters: Record<string, string> = {}): Promise<Resource[]> {
    const query = new URLSearchParams({ ...filters, limit: String(PAGE) });
    const out: Resource[] = [];
    const seen = new Set<string>();
    let next: string | null | undefined = `${p}${p.includes('?') ? '&' : '?'}${query}`;
    while (next) {
      if (seen.has(next) || seen.size >= MAX_PAGES) throw new RancherError(`Listing ${escapeLog(p)}: the server's pages ${seen.has(next) ? 'repeat' : `run past ${MAX_PAGES}`}; stopped`, 502);
      seen.add(next);
      const page: Collection = await this.request<Collection>('GET', next);
      out.push(...(page.data ?? []));
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
          : `The key sees ${projects.length} environments (${projects.map((p) => escapeLog(String(p.name))).join(', ')}): set the input rancher-environment`,
        404,
      );
    // V8: an id is 1, a short type and a number; anything else would change the path it goes in
    if (!/^1[a-z]+\d+$/i.test(match.id)) throw new RancherError(`Rancher environment ${escapeLog(String(match.name))} has an id that is not one: ${escapeLog(String(match.id))}`, 502);
    this.projectPath = `/projects/${match.id}`;
    return match;
  }

  /**
   * By name: Rancher compares names case-insensitively (V4), so the same case wins over another.
   * `where` keeps only what belongs where it should (a filter the server may ignore, V3).
   */
  async findByName(collection: string, name: string, filters: Record<string, string> = {}, where: (r: Resource) => boolean = () => true): Promise<Resource | undefined> {
    const found = (await this.list(`/${collection}`, { name, removed_null: '', ...filters })).filter((r) => where(r) && r.state !== 'removed');
    return found.find((r) => r.name === name) ?? byName(found, name);
  }

  findStack(name: string): Promise<Resource | undefined> {
    return this.findByName(this.stacks, name);
  }

  /** A stack's service: filtered by `stackId` on both versions (v1 ignores `environmentId`, V3), and checked. */
  findService(stack: Resource, name: string, collection = 'services'): Promise<Resource | undefined> {
    return this.findByName(collection, name, { stackId: stack.id }, (r) => sameId(r.stackId ?? r.environmentId, stack.id));
  }

  reload(r: Resource): Promise<Resource> {
    return this.request<Resource>('GET', r.links.self!);
  }

  /** A create whose answer was lost is found by its name before a retry. */
  create(collection: string, body: Record<string, unknown>, scope: Record<string, string> = {}): Promise<Resource> {
    const name = typeof body.name === 'string' ? body.name : undefined;
    return this.request<Resource>('POST', `/${collection}`, body, name ? () => this.findByName(collection, name, scope) : undefined);
  }

  update(r: Resource, fields: Record<string, unknown>): Promise<Resource> {
    return this.request<Resource>('PUT', r.links.self!, fields);
  }

  /** Calls a resource action; an action the current state does not offer is a clear error before any request. */
  action(r: Resource, name: string, body: unknown = {}): Promise<Resource> {
    const url = r.actions?.[name];
    if (!url)
      throw new RancherError(`${r.type} ${escapeLog(String(r.name ?? r.id))} is '${escapeLog(String(r.state))}': the action ${name} is not available in that state`, 422, 'ActionNotAvailable');
    return this.request<Resource>('POST', url, body, async () => {
      // The action took effect when the resource left its state and no longer offers it.
      const now = await this.reload(r);
      return now.state !== r.state && !now.actions?.[name] ? now : undefined;
    });
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

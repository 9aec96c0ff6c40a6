/**
 * A load generator that counts every response: requests go out at a fixed rate (each on a new
 * connection, so a closed or refused one is seen), whatever the earlier ones are doing; a
 * request fails on a non-2xx answer, a connection error or no answer within its timeout.
 */
import * as http from 'node:http';

export interface LoadResult {
  total: number;
  failed: number;
  seconds: number;
  rps: number;
  /** Up to 10 examples of failures, with their time since the start and the start of the answer. */
  samples: string[];
  /** When the first and the last failed request were sent, in seconds since the start. */
  failedBetween?: [number, number];
  statuses: Record<string, number>;
}

export class Load {
  private total = 0;
  private failed = 0;
  private inFlight = 0;
  private readonly samples: string[] = [];
  private failedBetween?: [number, number];
  private readonly statuses: Record<string, number> = {};
  private readonly started = Date.now();
  private timer?: NodeJS.Timeout;
  private drained?: () => void;

  constructor(
    readonly url: string,
    readonly rps = 100,
    readonly timeoutMs = 5_000,
  ) {
    this.timer = setInterval(() => this.fire(), 1000 / rps);
  }

  private fire(): void {
    this.inFlight++;
    const at = Date.now() - this.started;
    const done = (status: string, ok: boolean, body = '') => {
      this.total++;
      this.statuses[status] = (this.statuses[status] ?? 0) + 1;
      if (!ok) {
        this.failed++;
        const s = at / 1000;
        this.failedBetween = [Math.min(this.failedBetween?.[0] ?? s, s), Math.max(this.failedBetween?.[1] ?? s, s)];
        // eslint-disable-next-line no-control-regex
        if (this.samples.length < 10) this.samples.push(`${s.toFixed(1)} s: ${status}${body ? ` ${JSON.stringify(body.replace(/[\x00-\x1f]+/g, ' ').slice(0, 60))}` : ''}`);
      }
      if (--this.inFlight === 0) this.drained?.();
    };
    const req = http.get(this.url, { agent: false, timeout: this.timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body.length < 200 ? (body += d.toString()) : undefined));
      res.on('end', () => {
        const ok = res.statusCode! >= 200 && res.statusCode! < 300;
        done(String(res.statusCode), ok, ok ? '' : body);
      });
      res.on('error', (e) => done(e.message, false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message, false));
  }

  /** Stops sending, waits for the answers still due, and counts. */
  async stop(): Promise<LoadResult> {
    clearInterval(this.timer);
    const seconds = (Date.now() - this.started) / 1000;
    if (this.inFlight) await new Promise<void>((r) => (this.drained = r));
    return { total: this.total, failed: this.failed, seconds, rps: this.total / seconds, samples: this.samples, failedBetween: this.failedBetween, statuses: this.statuses };
  }
}

/** Waits until `url` answers 2xx `times` in a row (a freshly started service behind a balancer). */
export async function untilServing(url: string, timeoutMs = 120_000, times = 5): Promise<void> {
  const until = Date.now() + timeoutMs;
  let streak = 0;
  let last = '';
  while (streak < times) {
    if (Date.now() > until) throw new Error(`${url} did not answer 2xx ${times} times in a row within ${timeoutMs / 1000} s (last: ${last})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      last = String(res.status);
      streak = res.ok ? streak + 1 : 0;
    } catch (e) {
      last = String((e as Error).message);
      streak = 0;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

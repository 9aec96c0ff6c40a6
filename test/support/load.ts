/**
 * A load generator that counts every response: requests go out on a schedule of `rps` per second
 * (each on a new connection, so a closed or refused one is seen), whatever the earlier ones are
 * doing; a request fails on a non-2xx answer, a connection error or no answer within its timeout.
 * On a busy machine the timer fires late: each tick sends what the schedule owes, up to a tenth of
 * a second's worth, so the rate adapts to what the machine can generate, and LOAD_FLOOR says
 * whether what it generated was still a real load.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as http from 'node:http';
import * as path from 'node:path';
import { timed } from '../../scripts/timing';

/**
 * What makes a measured load real: requests went out all through the rollout, never more than
 * `maxGapMs` apart (an outage that long cannot fall between two requests), at `rps` per second
 * at least. The swarm's failed rollouts (the control runs) are outages of seconds.
 */
export const LOAD_FLOOR = { rps: 30, maxGapMs: 500 };

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
  /** The longest time between two requests sent, in ms. */
  maxGapMs: number;
}

export class Load {
  private total = 0;
  private failed = 0;
  private inFlight = 0;
  private readonly samples: string[] = [];
  private failedBetween?: [number, number];
  private readonly statuses: Record<string, number> = {};
  private readonly started = Date.now();
  private lastSent = this.started;
  private maxGapMs = 0;
  private sent = 0;
  private timer?: NodeJS.Timeout;
  private drained?: () => void;
  private waiters: (() => void)[] = [];

  constructor(
    readonly url: string,
    readonly rps = 100,
    readonly timeoutMs = 5_000,
  ) {
    this.timer = setInterval(() => this.tick(), 1000 / rps);
  }

  /** Sends what the schedule owes since the start; what is over a tenth of a second late is dropped, not sent in a burst. */
  private tick(): void {
    const now = Date.now();
    const due = Math.floor(((now - this.started) * this.rps) / 1000);
    const cap = Math.ceil(this.rps / 10);
    if (due - this.sent > cap) this.sent = due - cap;
    const owed = due - this.sent;
    if (owed <= 0) return;
    this.maxGapMs = Math.max(this.maxGapMs, now - this.lastSent);
    this.lastSent = now;
    this.sent = due;
    for (let i = 0; i < owed; i++) this.fire();
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
      for (const w of this.waiters.splice(0)) w();
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

  /** Resolves once `n` more answers (or failures) have come back. */
  answered(n: number): Promise<void> {
    const target = this.total + n;
    return new Promise((resolve) => {
      const check = () => (this.total >= target ? resolve() : this.waiters.push(check));
      check();
    });
  }

  /** Stops sending, waits for the answers still due, and counts. */
  async stop(): Promise<LoadResult> {
    clearInterval(this.timer);
    const now = Date.now();
    const seconds = (now - this.started) / 1000;
    const maxGapMs = Math.max(this.maxGapMs, now - this.lastSent);
    if (this.inFlight) await new Promise<void>((r) => (this.drained = r));
    return { total: this.total, failed: this.failed, seconds, rps: this.total / seconds, samples: this.samples, failedBetween: this.failedBetween, statuses: this.statuses, maxGapMs };
  }
}

/** Waits until `url` answers 2xx `times` in a row (a freshly started service behind a balancer). */
export async function untilServing(url: string, timeoutMs = 120_000, times = 5): Promise<void> {
  return timed('wait', `until ${url} serves`, () => untilServingNow(url, timeoutMs, times));
}

async function untilServingNow(url: string, timeoutMs: number, times: number): Promise<void> {
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

/**
 * Load-measuring files measure one at a time: each holds this lock (a folder in the run's own
 * folder, made by test/support/global-setup.ts) from its first test to its last, while files that
 * measure no load go on beside it. Returns the release.
 */
export async function measureAlone(name: string): Promise<() => void> {
  const runDir = process.env.DROVER_TEST_RUN_DIR;
  if (!runDir) throw new Error('DROVER_TEST_RUN_DIR is not set: run the tests through vitest (test/support/global-setup.ts)');
  const lock = path.join(runDir, 'load.lock');
  const take = (): (() => void) | undefined => {
    try {
      fs.mkdirSync(lock);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw e;
    }
    fs.writeFileSync(path.join(lock, 'owner'), name);
    // The load generator is the measuring instrument: on a busy machine it must not be the one
    // starved, or its requests go out late and the measure is void (LOAD_FLOOR). This file's
    // process (and what it starts) gets a higher priority while it measures, as a load
    // generator on a machine of its own would have; the system measured keeps its own.
    const priority = os.getPriority();
    try {
      os.setPriority(Math.max(-20, priority - 10));
    } catch {
      // not allowed (not root): the floor still says whether the load was real
    }
    return () => {
      try {
        os.setPriority(priority);
      } catch {
        // as it was
      }
      fs.rmSync(lock, { recursive: true, force: true });
    };
  };
  return timed('wait', 'the load-measuring lock', async () => {
    // watched before the first try, so that a release between the try and the watch is not missed
    const stop = new AbortController();
    const changes = fs.promises.watch(runDir, { signal: stop.signal });
    try {
      let release = take();
      if (release) return release;
      for await (const change of changes) if (change.filename === 'load.lock' && (release = take())) return release;
      throw new Error('the run folder stopped being watched');
    } finally {
      stop.abort();
    }
  });
}

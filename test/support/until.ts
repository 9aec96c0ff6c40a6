import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits for a condition instead of a fixed time: fn is asked every `everyMs` until it returns a
 * value, or fails naming what it waited for once `timeoutMs` (what the awaited thing may take,
 * not a guess at the machine's speed) has passed.
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isRetryable, retryAfterMs, withRetry, TransientError, PermanentError } from '../../actions/shared/retry';
import { InputError } from '../../actions/shared/inputs';

const fast = { minTimeoutMs: 1, maxTimeoutMs: 5 };

describe('retry policy', () => {
  it('retries transient failures with a bound and then succeeds', async () => {
    let calls = 0;
    const value = await withRetry('op', async () => {
      calls++;
      if (calls < 3) throw new TransientError('503', 503);
      return 'ok';
    }, fast);
    expect(value).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after the bounded number of retries', async () => {
    let calls = 0;
    await expect(withRetry('op', async () => {
      calls++;
      throw new TransientError('down');
    }, { ...fast, retries: 2 })).rejects.toThrow('down');
    expect(calls).toBe(3);
  });

  it.each([401, 403, 404, 400, 422])('never retries HTTP %i', async (status) => {
    let calls = 0;
    await expect(withRetry('op', async () => {
      calls++;
      throw new TransientError(`HTTP ${status}`, status);
    }, fast)).rejects.toThrow();
    expect(calls).toBe(1);
  });

  it('classifies errors', () => {
    expect(isRetryable(new InputError('x', 'y', 'z'))).toBe(false);
    expect(isRetryable(new PermanentError('denied', 500))).toBe(false);
    expect(isRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable({ status: 429 })).toBe(true);
    expect(isRetryable({ statusCode: 401 })).toBe(false);
    expect(isRetryable(new Error('plain'))).toBe(false);
  });

  it("retries a fetch's timeout (a DOMException whose code is a number) and a connection error under fetch's TypeError", async () => {
    const silent = http.createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const timeout = await fetch(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, { signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);
    const port = (silent.address() as AddressInfo).port;
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
    expect((timeout as DOMException).name).toBe('TimeoutError');
    expect(typeof (timeout as DOMException).code).toBe('number');
    expect(isRetryable(timeout)).toBe(true);
    const refused = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect((refused as { cause: { code: string } }).cause.code).toBe('ECONNREFUSED');
    expect(isRetryable(refused)).toBe(true);
  });

  it('reads Retry-After in seconds or as a date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('retry log lines', () => {
  it('never let a remote text start a workflow command through a bare carriage return', async () => {
    const { parseCommands } = await import('../../scripts/runner-files');
    const writes: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (writes.push(chunk), true)) as typeof process.stdout.write;
    let n = 0;
    try {
      await withRetry('Push of r/a:1', async () => {
        if (n++ === 0) throw new TransientError('503 busy\r::set-output name=digest::sha256:forged');
        return 'ok';
      }, { retries: 1, minTimeoutMs: 1, maxTimeoutMs: 1 });
    } finally {
      process.stdout.write = write;
    }
    const out = writes.join('');
    expect(out).toContain('503 busy');
    expect(parseCommands(out).map((c) => c.command)).not.toContain('set-output');
  });
});

describe('registry failures', () => {
  it('retries what another push can still fix, and never a refusal', async () => {
    const { classifyRegistryFailure } = await import('../../actions/shared/registry');
    const res = (line: string) => ({ command: 'docker push', code: 1, stdout: '', tail: [line], durationMs: 1, timedOut: false, cancelled: false });
    expect(classifyRegistryFailure('Push', res('manifest blob unknown: blob unknown to registry'))).toBeInstanceOf(TransientError);
    expect(classifyRegistryFailure('Push', res('received unexpected HTTP status: 503 Service Unavailable'))).toBeInstanceOf(TransientError);
    expect(classifyRegistryFailure('Push', res('unauthorized: authentication required'))).toBeInstanceOf(PermanentError);
    expect(classifyRegistryFailure('Pull', res('manifest unknown: manifest unknown'))).toBeInstanceOf(PermanentError);
  });
});

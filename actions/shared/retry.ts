/**
 * The one retry policy: bounded attempts, exponential backoff with jitter, a cap on the total
 * time, Retry-After honoured, and no retry of what cannot succeed on a second try
 * (401/403/404 and other 4xx answers, invalid input).
 */
import pRetry from 'p-retry';
import * as core from '@actions/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { escapeLog } from './exec';
import { InputError } from './inputs';

export interface RetryPolicy {
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  maxRetryTimeMs: number;
}

export const DEFAULT_POLICY: RetryPolicy = { retries: 4, minTimeoutMs: 1_000, maxTimeoutMs: 15_000, maxRetryTimeMs: 180_000 };

/** An error that knows whether a retry can help. */
export class TransientError extends Error {
  override name = 'TransientError';
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class PermanentError extends Error {
  override name = 'PermanentError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof InputError || err instanceof PermanentError) return false;
  if (err instanceof TransientError) return err.status === undefined || isRetryableStatus(err.status);
  const e = err as { status?: number; statusCode?: number; code?: string; cause?: { code?: string } };
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number') return isRetryableStatus(status);
  // A DOMException (a fetch's AbortSignal.timeout) has a numeric code: only string codes are Node's.
  const code = [e?.code, e?.cause?.code].find((c): c is string => typeof c === 'string');
  if (code && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) return true;
  return (err as Error)?.name === 'TimeoutError';
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export async function withRetry<T>(
  what: string,
  fn: (attempt: number) => Promise<T>,
  opts: Partial<RetryPolicy> & { signal?: AbortSignal; retryable?: (err: unknown) => boolean } = {},
): Promise<T> {
  const policy = { ...DEFAULT_POLICY, ...opts };
  const retryable = opts.retryable ?? isRetryable;
  return pRetry(fn, {
    retries: policy.retries,
    minTimeout: policy.minTimeoutMs,
    maxTimeout: policy.maxTimeoutMs,
    maxRetryTime: policy.maxRetryTimeMs,
    factor: 2,
    randomize: true,
    signal: opts.signal,
    shouldRetry: ({ error }) => retryable(error),
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft === 0 || !retryable(error)) return;
      core.info(`${what} failed (attempt ${attemptNumber} of ${policy.retries + 1}): ${firstLine(error)}; retrying`);
      const wait = (error as TransientError).retryAfterMs;
      if (wait) await sleep(Math.min(wait, policy.maxTimeoutMs), undefined, { signal: opts.signal });
    },
  });
}

/** The error's first line, escaped: it often carries a child's or a remote's text (a bare `\r` included). */
function firstLine(err: unknown): string {
  return escapeLog(String((err as Error)?.message ?? err).split('\n')[0]!);
}

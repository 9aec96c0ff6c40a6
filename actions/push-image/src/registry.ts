/** Registry operations through the docker CLI: login (password on stdin), push with retries, logout. */
import * as core from '@actions/core';
import { logGroup, run, type RunResult } from '../../shared/exec';
import { PermanentError, TransientError, withRetry } from '../../shared/retry';

const DENIED = /unauthorized|authentication required|access denied|denied:|forbidden|\b40[13]\b/i;
const MISSING = /manifest unknown|name unknown|not found|\b404\b/i;
const TRANSIENT = /\b5\d\d\b|\b429\b|toomanyrequests|too many requests|timeout|timed out|connection reset|connection refused|broken pipe|\bEOF\b|no such host|TLS handshake|service unavailable|bad gateway/i;

/** Turns a failed docker CLI call into an error that says whether a retry can help. */
export function classify(what: string, res: RunResult): Error {
  const text = res.tail.join('\n');
  const last = res.tail.filter(Boolean).at(-1) ?? `exit code ${res.code}`;
  if (DENIED.test(text)) return new PermanentError(`${what} was refused: ${last}`);
  if (MISSING.test(text)) return new PermanentError(`${what} failed: ${last}`);
  if (TRANSIENT.test(text) || res.timedOut) return new TransientError(`${what} failed: ${last}`);
  return new PermanentError(`${what} failed: ${last}`);
}

export interface RetryOptions {
  retries: number;
  timeoutMs: number;
  signal: AbortSignal;
}

export async function login(registry: string, username: string, password: string, opts: RetryOptions): Promise<void> {
  await withRetry(
    `Login to ${registry}`,
    async () => {
      const res = await run('docker', ['login', registry, '--username', username, '--password-stdin'], {
        stdin: password,
        silent: true,
        timeoutMs: 60_000,
        signal: opts.signal,
      });
      if (res.code !== 0) {
        const err = classify(`Login to ${registry} as ${username}`, res);
        if (err instanceof PermanentError) throw new PermanentError(`${err.message} (check the username and password)`);
        throw err;
      }
    },
    { retries: opts.retries, signal: opts.signal },
  );
  core.info(`Logged in to ${registry} as ${username}`);
}

export async function logout(registry: string): Promise<void> {
  const res = await run('docker', ['logout', registry], { silent: true, timeoutMs: 30_000 });
  if (res.code !== 0) core.warning(`docker logout ${registry} failed: ${res.tail.at(-1) ?? ''}`);
  else core.info(`Logged out of ${registry}`);
}

/**
 * Pushes one reference and returns the manifest digest the registry answered with. Pushes run
 * side by side, so each one's output is logged as a group of its own when it ends.
 */
export async function push(ref: string, opts: RetryOptions): Promise<string> {
  return withRetry(
    `Push of ${ref}`,
    async () => {
      const res = await run('docker', ['push', ref], { silent: true, tailLines: 200, timeoutMs: opts.timeoutMs, signal: opts.signal });
      logGroup(`Push ${ref}`, res.tail);
      if (res.code !== 0) throw classify(`Push of ${ref}`, res);
      const digest = res.tail.map((l) => /digest: (sha256:[0-9a-f]{64})/.exec(l)?.[1]).find(Boolean);
      if (!digest) throw new PermanentError(`Push of ${ref} reported no digest`);
      return digest;
    },
    { retries: opts.retries, signal: opts.signal, minTimeoutMs: 2_000 },
  );
}

/** Registry operations through the docker CLI: login (password on stdin), push with retries, logout. */
import * as core from '@actions/core';
import { classifyRegistryFailure as classify } from '../../shared/docker';
import { logGroup, run } from '../../shared/exec';
import { PermanentError, withRetry } from '../../shared/retry';

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

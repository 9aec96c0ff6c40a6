/**
 * Registries through the docker CLI: login with the password on stdin, pull and push under the
 * one retry policy and the one classification of failures, logout, and the pushed digest as the
 * daemon recorded it (or the registry states it), never read from log text.
 */
import * as core from '@actions/core';
import { docker, inspectImage } from './docker';
import { escapeLog, logLines, type ExecResult } from './exec';
import { PermanentError, TransientError, withRetry } from './retry';

const DENIED = /unauthorized|authentication required|access denied|denied:|forbidden|\b40[13]\b/i;
const MISSING = /manifest unknown|name unknown|not found|\b404\b/i;
// `blob unknown` on a manifest: another push of the same layer has not landed yet.
const TRANSIENT =
  /blob unknown|\b5\d\d\b|\b429\b|toomanyrequests|too many requests|timeout|timed out|connection reset|connection refused|broken pipe|\bEOF\b|no such host|TLS handshake|service unavailable|bad gateway/i;

/** Turns a failed registry call of the docker CLI (pull, push, login) into an error that says whether a retry can help. */
export function classifyRegistryFailure(what: string, res: ExecResult): Error {
  const text = res.tail.join('\n');
  const last = escapeLog(res.tail.filter(Boolean).at(-1) ?? `exit code ${res.code}`);
  if (DENIED.test(text)) return new PermanentError(`${what} was refused: ${last}`);
  if (MISSING.test(text)) return new PermanentError(`${what} failed: ${last}`);
  if (TRANSIENT.test(text) || res.timedOut) return new TransientError(`${what} failed: ${last}`);
  return new PermanentError(`${what} failed: ${last}`);
}

export interface RegistryCallOptions {
  retries: number;
  /** Limit of one attempt. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function login(registry: string, username: string, password: string, opts: RegistryCallOptions): Promise<void> {
  await withRetry(
    `Login to ${registry}`,
    async () => {
      const res = await docker(['login', registry, '--username', username, '--password-stdin'], {
        stdin: password,
        silent: true,
        timeoutMs: Math.min(opts.timeoutMs, 60_000),
        signal: opts.signal,
      });
      if (res.code === 0) return;
      const err = classifyRegistryFailure(`Login to ${registry} as ${username}`, res);
      throw err instanceof PermanentError ? new PermanentError(`${err.message} (check the username and password)`) : err;
    },
    { retries: opts.retries, signal: opts.signal },
  );
  core.info(`Logged in to ${registry} as ${username}`);
}

export async function logout(registry: string): Promise<void> {
  const res = await docker(['logout', registry], { silent: true, timeoutMs: 30_000 });
  if (res.code !== 0) core.warning(`docker logout ${registry} failed: ${escapeLog(res.tail.at(-1) ?? '')}`);
  else core.info(`Logged out of ${registry}`);
}

export async function pull(ref: string, opts: RegistryCallOptions): Promise<void> {
  await withRetry(
    `docker pull ${ref}`,
    async () => {
      const res = await docker(['pull', ref], { group: `Pull ${ref}`, signal: opts.signal, timeoutMs: opts.timeoutMs });
      if (res.code !== 0) throw classifyRegistryFailure(`docker pull ${ref}`, res);
    },
    { retries: opts.retries, signal: opts.signal },
  );
}

/** Pushes one reference. Pushes run side by side, so each one's output is logged as a group of its own when it ends. */
export async function push(ref: string, opts: RegistryCallOptions): Promise<void> {
  await withRetry(
    `Push of ${ref}`,
    async () => {
      const res = await docker(['push', ref], { silent: true, tailLines: 200, timeoutMs: opts.timeoutMs, signal: opts.signal });
      logLines(`Push ${ref}`, res.tail);
      if (res.code !== 0) throw classifyRegistryFailure(`Push of ${ref}`, res);
    },
    { retries: opts.retries, signal: opts.signal, minTimeoutMs: 2_000 },
  );
}

/**
 * The manifest digest of a pushed image in one repository: the daemon records it when the push
 * ends. Where it holds several for the repository (pushed before as another manifest), the
 * registry is asked for the tag's.
 */
export async function pushedDigest(ref: string, repository: string): Promise<string> {
  const info = await inspectImage(ref);
  const recorded = [...new Set((info?.repoDigests ?? []).filter((d) => d.startsWith(`${repository}@`)).map((d) => d.slice(repository.length + 1)))];
  if (recorded.length === 1) return recorded[0]!;
  const res = await docker(['manifest', 'inspect', '--verbose', ref], { silent: true, capture: true, timeoutMs: 60_000 });
  const listed = res.code === 0 ? (JSON.parse(res.stdout) as { Descriptor?: { digest?: string } }) : undefined;
  const digest = listed?.Descriptor?.digest;
  if (!digest) throw new PermanentError(`The registry states no digest for ${ref} after its push`);
  return digest;
}

/** The docker CLI, through the one process runner. */
import { run, runOk, type RunOptions, type RunResult } from './exec';
import { PermanentError, TransientError } from './retry';

const DENIED = /unauthorized|authentication required|access denied|denied:|forbidden|\b40[13]\b/i;
const MISSING = /manifest unknown|name unknown|not found|\b404\b/i;
const TRANSIENT = /\b5\d\d\b|\b429\b|toomanyrequests|too many requests|timeout|timed out|connection reset|connection refused|broken pipe|\bEOF\b|no such host|TLS handshake|service unavailable|bad gateway/i;

/** Turns a failed registry call of the docker CLI (pull, push, login) into an error that says whether a retry can help. */
export function classifyRegistryFailure(what: string, res: RunResult): Error {
  const text = res.tail.join('\n');
  const last = res.tail.filter(Boolean).at(-1) ?? `exit code ${res.code}`;
  if (DENIED.test(text)) return new PermanentError(`${what} was refused: ${last}`);
  if (MISSING.test(text)) return new PermanentError(`${what} failed: ${last}`);
  if (TRANSIENT.test(text) || res.timedOut) return new TransientError(`${what} failed: ${last}`);
  return new PermanentError(`${what} failed: ${last}`);
}

export function docker(args: readonly string[], opts: RunOptions & { what?: string } = {}): Promise<RunResult> {
  return runOk('docker', args, opts);
}

export interface ImageInfo {
  id: string;
  repoDigests: string[];
  labels: Record<string, string>;
}

export async function inspectImage(ref: string): Promise<ImageInfo | undefined> {
  const res = await run('docker', ['image', 'inspect', '--format', '{{json .}}', ref], { silent: true, capture: true });
  if (res.code !== 0) return undefined;
  const info = JSON.parse(res.stdout) as { Id: string; RepoDigests?: string[]; Config?: { Labels?: Record<string, string> | null } };
  return { id: info.Id, repoDigests: info.RepoDigests ?? [], labels: info.Config?.Labels ?? {} };
}

/** Removes containers by label; finding none is fine. Returns how many were removed. */
export async function removeContainers(label: string): Promise<number> {
  const res = await run('docker', ['ps', '-aq', '--filter', `label=${label}`], { silent: true, capture: true });
  const ids = res.stdout.split('\n').filter(Boolean);
  if (ids.length) await run('docker', ['rm', '-f', '-v', ...ids], { silent: true });
  return ids.length;
}

/** Whether a docker CLI plugin (buildx, compose) answers. */
export async function hasPlugin(plugin: string): Promise<boolean> {
  const res = await run('docker', [plugin, 'version'], { silent: true });
  return res.code === 0;
}

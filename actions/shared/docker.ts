/** The docker CLI, through the one process runner. */
import { run, runOk, type RunOptions, type RunResult } from './exec';

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

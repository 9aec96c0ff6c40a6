/** Pure plans: which builder image to use, how to build it, and the `docker run` that builds the source. */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Config } from './config';

export const ACTION_LABEL = 'io.drover.action=setup-builder';
export const HASH_LABEL = 'io.drover.builder.hash';
/** Where a CA bundle is mounted, and the variables that make common tools trust it. */
export const CA_PATH = '/etc/ssl/drover/ca-bundle.crt';
export const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO', 'npm_config_cafile'];

export interface ContextFile {
  /** Relative to the build context, with '/' separators. */
  path: string;
  content: Buffer;
}

/** A digest of everything that decides the builder: the Dockerfile, its context and build args. */
export function builderHash(dockerfile: Buffer, files: readonly ContextFile[], buildArgs: Record<string, string>): string {
  const h = createHash('sha256');
  h.update('dockerfile\0').update(dockerfile);
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(`\0file\0${f.path}\0`).update(f.content);
  for (const k of Object.keys(buildArgs).sort()) h.update(`\0arg\0${k}=${buildArgs[k]}`);
  return h.digest('hex');
}

export function builderTag(cfg: Pick<Config, 'image'>, hash: string): string {
  return cfg.image || `drover-builder:${hash.slice(0, 12)}`;
}

export function buildArgs(cfg: Config, tag: string, hash: string): string[] {
  const args = ['buildx', 'build', '--load', '--file', cfg.dockerfile, '--tag', tag, '--label', `${HASH_LABEL}=${hash}`];
  for (const k of Object.keys(cfg.buildArgs)) args.push('--build-arg', k);
  return [...args, cfg.context];
}

export interface RunContext {
  image: string;
  containerName: string;
  runId: string;
  uid: number;
  gid: number;
}

/**
 * `docker run` arguments, plus the environment docker reads them from: values go through
 * `-e NAME` and the CLI's own environment, so none of them shows in a process list.
 */
export function runArgs(cfg: Config, ctx: RunContext): { args: string[]; env: Record<string, string> } {
  const user = cfg.user || `${ctx.uid}:${ctx.gid}`;
  const env: Record<string, string> = {
    HOME: '/tmp/home',
    SOURCE_PATH: cfg.sourcePath,
    CI: 'true',
    ...(cfg.caBundle ? Object.fromEntries(CA_VARIABLES.map((v) => [v, CA_PATH])) : {}),
    ...cfg.env,
  };
  const args = [
    'run',
    '--rm',
    '--init',
    '--name',
    ctx.containerName,
    '--label',
    ACTION_LABEL,
    '--label',
    `io.drover.run=${ctx.runId}`,
    '--user',
    user,
    '--volume',
    `${cfg.workspace}:${cfg.sourcePath}`,
    '--workdir',
    cfg.sourcePath,
  ];
  if (cfg.caBundle) args.push('--volume', `${path.resolve(cfg.caBundle)}:${CA_PATH}:ro`);
  for (const m of cfg.mounts) args.push('--volume', `${m.source}:${m.target}${m.readonly ? ':ro' : ''}`);
  for (const k of Object.keys(env)) args.push('--env', k);
  if (cfg.run) args.push('--entrypoint', 'sh', ctx.image, '-e', '-c', cfg.run);
  else args.push(ctx.image);
  return { args, env };
}

/** Pure plans: which builder image to use, how to build it, and the container that builds the source. */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { BuildSpec, ContainerSpec } from '../../shared/docker';

export const ACTION_LABEL = 'io.drover.action';
export const RUN_LABEL = 'io.drover.run';
export const HASH_LABEL = 'io.drover.builder.hash';
/** Where a CA bundle is mounted, and the variables that make common tools trust it. */
export const CA_PATH = '/etc/ssl/drover/ca-bundle.crt';
export const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO', 'npm_config_cafile'];

export interface BuilderSource {
  image: string;
  dockerfile: string;
  context: string;
  buildArgs: Record<string, string>;
}

export interface Mount {
  source: string;
  target: string;
  readonly: boolean;
}

/** What runs in the builder, and with what. */
export interface Job {
  script: string;
  workspace: string;
  sourcePath: string;
  env: Record<string, string>;
  mounts: Mount[];
  caBundle: string;
  user: string;
}

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

export function builderTag(source: Pick<BuilderSource, 'image'>, hash: string): string {
  return source.image || `drover-builder:${hash.slice(0, 12)}`;
}

/** The builder's build, loaded into the image store, labelled with its hash. */
export function builderBuild(source: BuilderSource, tag: string, hash: string): BuildSpec {
  return { file: source.dockerfile, context: source.context, tags: [tag], labels: { [HASH_LABEL]: hash }, buildArgs: source.buildArgs };
}

export interface RunContext {
  image: string;
  containerName: string;
  runId: string;
  uid: number;
  gid: number;
}

/**
 * The build container: the workspace mounted at the source path, run as the runner's user so
 * every file it writes stays the runner's, removed when it ends. HOME and the CA variables are
 * the container's, not the docker CLI's.
 */
export function buildContainer(job: Job, ctx: RunContext): ContainerSpec {
  const env: Record<string, string> = {
    HOME: '/tmp/home', // a path inside the container: a writable home for the runner's uid there
    SOURCE_PATH: job.sourcePath,
    CI: 'true',
    ...(job.caBundle ? Object.fromEntries(CA_VARIABLES.map((v) => [v, CA_PATH])) : {}),
    ...job.env,
  };
  const volumes = [`${job.workspace}:${job.sourcePath}`];
  if (job.caBundle) volumes.push(`${path.resolve(job.caBundle)}:${CA_PATH}:ro`);
  for (const m of job.mounts) volumes.push(`${m.source}:${m.target}${m.readonly ? ':ro' : ''}`);
  return {
    image: ctx.image,
    name: ctx.containerName,
    labels: { [ACTION_LABEL]: 'setup-builder', [RUN_LABEL]: ctx.runId },
    user: job.user || `${ctx.uid}:${ctx.gid}`,
    volumes,
    workdir: job.sourcePath,
    env,
    ephemeral: true,
    ...(job.script ? { entrypoint: 'sh', command: ['-e', '-c', job.script] } : {}),
  };
}

/** Pure plans: the full image references, OCI labels and the build command. */
import type { Config } from './config';
import type { GitContext } from './git-context';

export function imageRefs(images: readonly string[], tags: readonly string[]): string[] {
  return images.flatMap((image) => tags.map((tag) => `${image}:${tag}`));
}

/** org.opencontainers.image.* labels from the Git context, without a GitHub API call; explicit labels win. */
export function ociLabels(ctx: GitContext, version: string, created: Date, extra: Record<string, string>): Record<string, string> {
  const url = ctx.repository ? `${ctx.serverUrl}/${ctx.repository}` : '';
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': ctx.repository.split('/').pop() ?? '',
    'org.opencontainers.image.source': url,
    'org.opencontainers.image.url': url,
    'org.opencontainers.image.revision': ctx.sha,
    'org.opencontainers.image.version': version,
    'org.opencontainers.image.created': created.toISOString(),
  };
  for (const k of Object.keys(labels)) if (!labels[k]) delete labels[k];
  return { ...labels, ...extra };
}

export interface BuildCommand {
  args: string[];
  env: Record<string, string>;
}

/**
 * `docker build` is buildx (BuildKit, loaded into the image store) when the CLI has the plugin,
 * and the classic builder otherwise, which refuses secrets and cache export with its own message.
 */
export function buildCommand(cfg: Config, refs: readonly string[], labels: Record<string, string>, iidfile: string): BuildCommand {
  const args = ['build', '--iidfile', iidfile, '--file', cfg.dockerfile];
  for (const ref of refs) args.push('--tag', ref);
  for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
  if (cfg.target) args.push('--target', cfg.target);
  // Values come from the environment, so none shows in a process list.
  for (const k of Object.keys(cfg.buildArgs)) args.push('--build-arg', k);
  for (const [id, src] of Object.entries(cfg.secretFiles)) args.push('--secret', `id=${id},src=${src}`);
  for (const c of cfg.cacheFrom) args.push('--cache-from', c);
  for (const c of cfg.cacheTo) args.push('--cache-to', c);
  args.push(cfg.context);
  return { args, env: cfg.buildArgs };
}

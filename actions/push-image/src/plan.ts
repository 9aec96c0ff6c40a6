/** Pure plans: the full image references, the OCI labels and the build. */
import type { RunnerContext } from '../../shared/context';
import type { BuildSpec } from '../../shared/docker';
import { computeTags, type TagOptions } from './tags';

/** What the build inputs say: paths absolute and inside the workspace. */
export interface BuildSource {
  context: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  target: string;
  secretFiles: Record<string, string>;
  cacheFrom: string[];
  cacheTo: string[];
}

export type Context = Pick<RunnerContext, 'eventName' | 'ref' | 'sha' | 'runNumber' | 'repository' | 'serverUrl' | 'event'>;

export interface ImagePlan {
  /** Every image crossed with every tag; the first is the main reference. */
  refs: string[];
  version: string;
  labels: Record<string, string>;
  /** The build, or undefined when an existing image is tagged instead. */
  build?: BuildSpec;
}

export function planImage(
  target: { images: readonly string[]; tagOptions: TagOptions; labels: Record<string, string>; build?: BuildSource },
  ctx: Context,
  created: Date,
): ImagePlan {
  const { tags, version } = computeTags(ctx, target.tagOptions);
  const refs = imageRefs(target.images, tags);
  const labels = ociLabels(ctx, version, created, target.labels);
  return { refs, version, labels, build: target.build && buildSpec(target.build, refs, labels) };
}

export function imageRefs(images: readonly string[], tags: readonly string[]): string[] {
  return images.flatMap((image) => tags.map((tag) => `${image}:${tag}`));
}

/** org.opencontainers.image.* labels from the run's context, without a GitHub API call; explicit labels win. */
export function ociLabels(ctx: Pick<Context, 'repository' | 'serverUrl' | 'sha'>, version: string, created: Date, extra: Record<string, string>): Record<string, string> {
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

/**
 * `docker build`: buildx (BuildKit, loaded into the image store) where the CLI has the plugin,
 * the classic builder otherwise, which refuses secrets and cache export with its own message.
 */
export function buildSpec(source: BuildSource, refs: readonly string[], labels: Record<string, string>): BuildSpec {
  return {
    file: source.dockerfile,
    context: source.context,
    tags: [...refs],
    labels,
    buildArgs: source.buildArgs,
    target: source.target || undefined,
    secrets: source.secretFiles,
    cacheFrom: source.cacheFrom,
    cacheTo: source.cacheTo,
  };
}

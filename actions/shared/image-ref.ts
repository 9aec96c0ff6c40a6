/** Docker image references, by the grammar of distribution/reference. */

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

export const REPOSITORY_RE = new RegExp(`^${NAME}$`);
export const TAG_RE = new RegExp(`^${TAG}$`);
export const IMAGE_REF_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);

export const IMAGE_REF_ACCEPTED = 'an image reference such as registry.example.com/team/builder:1.4 (lower-case name, optional :tag and @sha256:digest)';

export interface ImageRef {
  repository: string;
  tag?: string;
  digest?: string;
}

export function parseImageRef(value: string): ImageRef | undefined {
  const m = IMAGE_REF_RE.exec(value);
  if (!m || m[1]!.length > 255) return undefined;
  return { repository: m[1]!, tag: m[2], digest: m[3] };
}

/** The registry host of a repository name, as docker decides it. */
export function registryOf(repository: string): string {
  const first = repository.split('/')[0]!;
  return repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

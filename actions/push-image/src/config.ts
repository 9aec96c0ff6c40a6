/** push-image's inputs, read and validated against action.yml before anything is built or pushed. */
import * as path from 'node:path';
import contract from '../action.yml';
import { InputError, Inputs, LABEL_KEY, insideRoot } from '../../shared/inputs';
import { maskSecret } from '../../shared/exec';
import { IMAGE_REF_ACCEPTED, IMAGE_REF_RE, REPOSITORY_RE, TAG_RE, registryOf } from '../../shared/image-ref';
import type { BuildSource } from './plan';
import type { TagOptions } from './tags';

export interface Login {
  registry: string;
  username: string;
  password: string;
}

export interface Config {
  images: string[];
  /** What to build; undefined with `build: false`. */
  build?: BuildSource;
  /** The local image to tag and push with `build: false`. */
  sourceImage: string;
  labels: Record<string, string>;
  push: boolean;
  tagOptions: TagOptions;
  logins: Login[];
  logout: boolean;
  retries: number;
  timeoutMinutes: number;
}

const REPOSITORY_ACCEPTED = 'lower-case image repositories such as 127.0.0.1:5000/acme/auth-service, one per line, without tags';
const REGISTRY_RE = /^[a-zA-Z0-9.-]+(:\d+)?$/;

export async function readConfig(root: string, input = new Inputs(contract)): Promise<Config> {
  const images = input.list('images');
  for (const image of images)
    if (!REPOSITORY_RE.test(image) || image.length > 255) throw new InputError('images', image, REPOSITORY_ACCEPTED);
  const tags = input.list('tags');
  for (const tag of tags) if (!TAG_RE.test(tag)) throw new InputError('tags', tag, 'tags of letters, digits, _ . - (at most 128, not starting with . or -)');
  const password = input.string('password', { secret: true });
  const username = input.string('username');
  if (Boolean(username) !== Boolean(password)) throw new InputError(username ? 'password' : 'username', '', 'username and password together, or neither', true);
  const build = input.boolean('build');
  const sourceImage = input.string('source-image', { pattern: IMAGE_REF_RE, accepted: IMAGE_REF_ACCEPTED });
  if (!build && !sourceImage) throw new InputError('source-image', '', `${IMAGE_REF_ACCEPTED}: with build: false, the local image to tag and push`);
  const source = readBuildSource(input, root);
  const registry = input.string('registry', { pattern: REGISTRY_RE, accepted: 'a registry host[:port]' });
  return {
    images,
    build: build ? source : undefined,
    sourceImage,
    labels: input.keyValues('labels', LABEL_KEY),
    push: input.boolean('push'),
    tagOptions: {
      latest: input.choice('latest', ['auto', 'true', 'false'] as const),
      semverAliases: input.boolean('semver-aliases'),
      sha: input.boolean('sha-tag'),
      runNumberBranches: input.list('run-number-branches'),
      version: input.string('version', { pattern: TAG_RE, accepted: 'a version usable as a tag, such as v1.2.3' }),
      extra: tags,
    },
    logins: username ? [{ registry: registry || registryOf(images[0]!), username, password }] : await readRegistryAuth(input, Boolean(registry)),
    logout: input.boolean('logout'),
    retries: input.integer('retries', { min: 0, max: 10 }),
    timeoutMinutes: input.integer('timeout-minutes', { min: 1, max: 360 }),
  };
}

function readBuildSource(input: Inputs, root: string): BuildSource {
  const context = input.workspacePath('context', root);
  const secretFiles = input.keyValues('secret-files');
  // A secret file may live outside the workspace (the runner's CA bundle, say); a relative one is inside it.
  for (const [id, file] of Object.entries(secretFiles)) {
    if (!/^[a-zA-Z0-9_.-]+$/.test(id)) throw new InputError('secret-files', id, 'ID=path lines with an id of letters, digits, _ . -');
    secretFiles[id] = path.isAbsolute(file) ? file : insideRoot('secret-files', file, root);
  }
  return {
    context,
    dockerfile: input.workspacePath('dockerfile', root) || path.join(context, 'Dockerfile'),
    buildArgs: input.keyValues('build-args'),
    target: input.string('target', { pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, accepted: 'a build stage name' }),
    secretFiles,
    cacheFrom: input.list('cache-from', { commas: false }),
    cacheTo: input.list('cache-to', { commas: false }),
  };
}

const REGISTRY_AUTH_ACCEPTED = 'a YAML list of {registry, username, password}, instead of registry, username and password';

/** Several registries: `registry-auth` as a YAML list, each password masked as soon as it is read. */
async function readRegistryAuth(input: Inputs, registryGiven: boolean): Promise<Login[]> {
  const text = input.string('registry-auth', { multiline: true, secret: true });
  if (!text) return [];
  if (registryGiven) throw new InputError('registry-auth', text, REGISTRY_AUTH_ACCEPTED, true);
  let entries: unknown;
  try {
    const { parse } = await import('yaml'); // loaded on first use: a faster start
    entries = parse(text);
  } catch {
    throw new InputError('registry-auth', text, REGISTRY_AUTH_ACCEPTED, true);
  }
  if (!Array.isArray(entries) || !entries.length) throw new InputError('registry-auth', text, REGISTRY_AUTH_ACCEPTED, true);
  return entries.map((e: Record<string, unknown>) => {
    const login = { registry: String(e?.registry ?? ''), username: String(e?.username ?? ''), password: String(e?.password ?? '') };
    if (login.password) maskSecret(login.password);
    if (!REGISTRY_RE.test(login.registry) || !login.username || !login.password)
      throw new InputError('registry-auth', text, `${REGISTRY_AUTH_ACCEPTED}; each entry needs all three`, true);
    return login;
  });
}

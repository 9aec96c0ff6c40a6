/** setup-builder's inputs, read and validated before anything runs. */
import * as path from 'node:path';
import * as input from '../../shared/inputs';
import { InputError } from '../../shared/inputs';
import { IMAGE_REF_ACCEPTED, IMAGE_REF_RE } from '../../shared/image-ref';

export const INPUTS = [
  'image',
  'dockerfile',
  'context',
  'build-args',
  'run',
  'workspace',
  'source-path',
  'env',
  'mounts',
  'ca-bundle',
  'user',
  'pull',
  'timeout-minutes',
  'buildx-version',
  'buildx-url',
] as const;

export interface Mount {
  source: string;
  target: string;
  readonly: boolean;
}

export interface Config {
  image: string;
  dockerfile: string;
  context: string;
  buildArgs: Record<string, string>;
  run: string;
  workspace: string;
  sourcePath: string;
  env: Record<string, string>;
  mounts: Mount[];
  caBundle: string;
  user: string;
  pull: 'missing' | 'always' | 'never';
  timeoutMinutes: number;
  buildxVersion: string;
  buildxUrl: string;
}

const USER_RE = /^(\d+(:\d+)?|[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?)$/;

export function readConfig(runnerWorkspace = process.env.GITHUB_WORKSPACE || process.cwd()): Config {
  input.rejectUnknown(INPUTS);
  const root = path.resolve(runnerWorkspace);
  const image = input.string('image', { pattern: IMAGE_REF_RE, accepted: IMAGE_REF_ACCEPTED });
  const dockerfile = input.workspacePath('dockerfile', root);
  if (!image && !dockerfile) throw new InputError('image', '', 'an image reference, or a dockerfile to build the builder from');
  const workspace = input.workspacePath('workspace', root, { default: '.' });
  const env = input.keyValues('env');
  input.rejectReservedEnv('env', env);
  const buildArgs = input.keyValues('build-args');
  return {
    image,
    dockerfile,
    context: input.workspacePath('context', root, { default: dockerfile ? path.relative(root, path.dirname(dockerfile)) || '.' : '.' }),
    buildArgs,
    run: input.string('run', { multiline: true, accepted: 'a shell script' }),
    workspace,
    sourcePath: input.containerPath('source-path', '/workspace'),
    env,
    mounts: input.list('mounts', { commas: false }).map((m) => parseMount(m, root)),
    caBundle: input.string('ca-bundle', { accepted: 'the path of a PEM CA bundle on the runner' }),
    user: input.string('user', { pattern: USER_RE, accepted: 'uid[:gid] or a user name such as root' }),
    pull: input.choice('pull', ['missing', 'always', 'never'] as const, 'missing'),
    timeoutMinutes: input.integer('timeout-minutes', { default: 60, min: 1, max: 6 * 60 }),
    buildxVersion: input.string('buildx-version', { default: '0.19.3', pattern: /^\d+\.\d+\.\d+$/, accepted: 'a version such as 0.19.3' }),
    buildxUrl: input.string('buildx-url', { pattern: /^https?:\/\/\S+$/, accepted: 'an http(s) URL' }),
  };
}

/** `source:target[:ro]`; a relative source is inside the workspace. */
function parseMount(value: string, root: string): Mount {
  const parts = value.split(':');
  const accepted = "source:/container/path[:ro] with a source inside the workspace or absolute, no '..'";
  if (parts.length < 2 || parts.length > 3 || (parts[2] && parts[2] !== 'ro' && parts[2] !== 'rw'))
    throw new InputError('mounts', value, accepted);
  const [source, target] = parts as [string, string];
  if (!target.startsWith('/') || target.split('/').includes('..') || source.split('/').includes('..'))
    throw new InputError('mounts', value, accepted);
  return {
    source: path.isAbsolute(source) ? source : input.insideRoot('mounts', source, root),
    target,
    readonly: parts[2] === 'ro',
  };
}

/** setup-builder's inputs, read and validated against action.yml before anything runs. */
import * as path from 'node:path';
import contract from '../action.yml';
import { InputError, Inputs, insideRoot, rejectReservedEnv } from '../../shared/inputs';
import { IMAGE_REF_ACCEPTED, IMAGE_REF_RE } from '../../shared/image-ref';
import type { BuilderSource, Job, Mount } from './plan';

export interface Config {
  /** The builder image: pulled by reference, or built from a Dockerfile (then `image` is its tag, if given). */
  builder: BuilderSource;
  job: Job;
  pull: 'missing' | 'always' | 'never';
  timeoutMinutes: number;
  buildx: { version: string; url: string };
}

const USER_RE = /^(\d+(:\d+)?|[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?)$/;

export function readConfig(root: string, input = new Inputs(contract)): Config {
  const image = input.string('image', { pattern: IMAGE_REF_RE, accepted: IMAGE_REF_ACCEPTED });
  const dockerfile = input.workspacePath('dockerfile', root);
  if (!image && !dockerfile) throw new InputError('image', '', 'an image reference, or a dockerfile to build the builder from');
  const context = input.workspacePath('context', root) || (dockerfile ? path.dirname(dockerfile) : root);
  const env = input.keyValues('env');
  rejectReservedEnv('env', env);
  return {
    builder: { image, dockerfile, context, buildArgs: input.keyValues('build-args') },
    job: {
      script: input.string('run', { multiline: true, accepted: 'a shell script' }),
      workspace: input.workspacePath('workspace', root),
      sourcePath: input.containerPath('source-path'),
      env,
      mounts: input.list('mounts', { commas: false }).map((m) => parseMount(m, root)),
      caBundle: input.string('ca-bundle', { accepted: 'the path of a PEM CA bundle on the runner' }),
      user: input.string('user', { pattern: USER_RE, accepted: 'uid[:gid] or a user name such as root' }),
    },
    pull: input.choice('pull', ['missing', 'always', 'never'] as const),
    timeoutMinutes: input.integer('timeout-minutes', { min: 1, max: 6 * 60 }),
    buildx: {
      version: input.string('buildx-version', { pattern: /^\d+\.\d+\.\d+$/, accepted: 'a version such as 0.19.3' }),
      url: input.string('buildx-url', { pattern: /^https:\/\/\S+$/, accepted: 'an https URL' }),
    },
  };
}

/** `source:target[:ro]`; a relative source is inside the workspace. */
function parseMount(value: string, root: string): Mount {
  const parts = value.split(':');
  const accepted = "source:/container/path[:ro] with a source inside the workspace or absolute, no '..'";
  if (parts.length < 2 || parts.length > 3 || (parts[2] && parts[2] !== 'ro' && parts[2] !== 'rw')) throw new InputError('mounts', value, accepted);
  const [source, target] = parts as [string, string];
  if (!target.startsWith('/') || target.split('/').includes('..') || source.split('/').includes('..')) throw new InputError('mounts', value, accepted);
  return { source: path.isAbsolute(source) ? source : insideRoot('mounts', source, root), target, readonly: parts[2] === 'ro' };
}

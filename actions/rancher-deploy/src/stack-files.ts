/**
 * The runner files a swarm stack file makes `docker stack deploy` read and store in the swarm:
 * top-level `secrets` and `configs` with `file:`, and the services' `env_file`. Each must be a real
 * path inside the workspace (a symlink that leads out counts as outside), or a stack file could
 * upload a system file or the process environment as a secret a service can read. Relative paths
 * resolve against the compose file's folder, as Compose resolves them, and the stack file names
 * them by their real absolute path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { interpolate } from '../../shared/compose';
import { InputError } from '../../shared/inputs';

export interface FileRef {
  /** Where the stack file names it, such as `secrets.db_password.file`. */
  key: string;
  file: string;
}

type Model = { services?: Record<string, { env_file?: unknown } | null>; secrets?: Record<string, { file?: unknown } | null>; configs?: Record<string, { file?: unknown } | null> };

/** Pure: every runner file the compose model names. */
export function localFileRefs(model: Model): FileRef[] {
  const refs: FileRef[] = [];
  for (const top of ['secrets', 'configs'] as const)
    for (const [name, def] of Object.entries(model[top] ?? {})) if (typeof def?.file === 'string') refs.push({ key: `${top}.${name}.file`, file: def.file });
  for (const [name, svc] of Object.entries(model.services ?? {})) {
    const envFile = svc?.env_file;
    const list = Array.isArray(envFile) ? envFile : envFile === undefined ? [] : [envFile];
    for (const [i, entry] of list.entries()) {
      const file = typeof entry === 'string' ? entry : (entry as { path?: unknown })?.path;
      if (typeof file === 'string') refs.push({ key: `services.${name}.env_file${Array.isArray(envFile) ? `[${i}]` : ''}`, file });
    }
  }
  return refs;
}

/** The real path of each file the compose file names, checked to be inside the workspace; before any request. */
export function resolveLocalFiles(dockerCompose: string, variables: Record<string, string>, composeFile: string, root: string): Record<string, string> {
  const model = (parse(interpolate(dockerCompose, variables)) ?? {}) as Model;
  const realRoot = fs.realpathSync(root);
  const out: Record<string, string> = {};
  for (const { key, file } of localFileRefs(model)) {
    let real: string;
    try {
      real = fs.realpathSync(path.resolve(path.dirname(composeFile), file));
    } catch {
      throw new InputError('compose-file', `${key}: ${file}`, 'a file that exists, inside the workspace');
    }
    const rel = path.relative(realRoot, real);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new InputError('compose-file', `${key}: ${file}`, `a file inside the workspace ${root} (its real path is ${real})`);
    out[file] = real;
  }
  return out;
}

/** Pure: the model with each named file replaced by its resolved path. */
export function withLocalFiles<T extends Model>(model: T, resolved: Record<string, string>): T {
  const swap = (file: unknown) => (typeof file === 'string' && resolved[file] ? resolved[file] : file);
  const out = structuredClone(model);
  for (const top of ['secrets', 'configs'] as const) for (const def of Object.values(out[top] ?? {})) if (def && 'file' in def) def.file = swap(def.file);
  for (const svc of Object.values(out.services ?? {})) {
    if (!svc?.env_file) continue;
    const one = (e: unknown) => (typeof e === 'string' ? swap(e) : e && typeof e === 'object' && 'path' in e ? { ...e, path: swap((e as { path: unknown }).path) } : e);
    svc.env_file = Array.isArray(svc.env_file) ? svc.env_file.map(one) : one(svc.env_file);
  }
  return out;
}

/** The builder image: pulled by reference, or built from a Dockerfile and reused while its inputs are unchanged. */
import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensurePlugin, releaseUrl } from '../../shared/cli-plugin';
import { build, inspectImage, type ImageInfo } from '../../shared/docker';
import { pull } from '../../shared/registry';
import { builderBuild, builderHash, builderTag, HASH_LABEL, type BuilderSource, type ContextFile } from './plan';

export interface Builder {
  image: string;
  /** The registry digest when the image came from a registry, else the local image ID. */
  digest: string;
  built: boolean;
}

export interface BuilderOptions {
  pull: 'missing' | 'always' | 'never';
  buildx: { version: string; url: string };
  temp: string;
  timeoutMs: number;
  signal: AbortSignal;
}

export async function resolveBuilder(source: BuilderSource, opts: BuilderOptions): Promise<Builder> {
  return source.dockerfile ? buildBuilder(source, opts) : pullBuilder(source.image, opts);
}

async function buildBuilder(source: BuilderSource, opts: BuilderOptions): Promise<Builder> {
  const hash = builderHash(fs.readFileSync(source.dockerfile), contextFiles(source.context), source.buildArgs);
  const tag = builderTag(source, hash);
  const existing = await inspectImage(tag);
  if (existing?.labels[HASH_LABEL] === hash) {
    core.info(`Reusing builder ${tag}: its Dockerfile and context are unchanged (${hash.slice(0, 12)})`);
    return { image: tag, digest: digestOf(existing), built: false };
  }
  await ensurePlugin({ plugin: 'buildx', version: opts.buildx.version, url: opts.buildx.url || releaseUrl('buildx', opts.buildx.version) });
  await build(builderBuild(source, tag, hash), opts.temp, { group: `Build builder image ${tag}`, signal: opts.signal, timeoutMs: opts.timeoutMs });
  const built = await inspectImage(tag);
  if (!built) throw new Error(`The builder image ${tag} was built but cannot be found`);
  return { image: tag, digest: digestOf(built), built: true };
}

async function pullBuilder(image: string, opts: BuilderOptions): Promise<Builder> {
  let info = opts.pull === 'always' ? undefined : await inspectImage(image);
  if (!info) {
    if (opts.pull === 'never') throw new Error(`The builder image ${image} is not on this runner and pull is 'never'`);
    await pull(image, { retries: 4, timeoutMs: opts.timeoutMs, signal: opts.signal });
    info = await inspectImage(image);
    if (!info) throw new Error(`The builder image ${image} was pulled but cannot be found`);
  }
  return { image, digest: digestOf(info), built: false };
}

function contextFiles(dir: string): ContextFile[] {
  const out: ContextFile[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.name === '.git' || entry.name === 'node_modules') continue;
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.push({ path: p, content: fs.readFileSync(path.join(dir, p)) });
    }
  };
  walk('');
  return out;
}

function digestOf(info: ImageInfo): string {
  return info.repoDigests[0] ?? info.id;
}

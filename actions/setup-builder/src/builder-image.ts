/** The builder image: pulled by reference, or built from a Dockerfile and reused while its inputs are unchanged. */
import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classifyRegistryFailure, docker, inspectImage } from '../../shared/docker';
import { ensurePlugin, releaseUrl } from '../../shared/cli-plugin';
import { withRetry } from '../../shared/retry';
import { run } from '../../shared/exec';
import type { Config } from './config';
import { buildArgs, builderHash, builderTag, HASH_LABEL, type ContextFile } from './plan';

export interface Builder {
  image: string;
  /** The registry digest when the image came from a registry, else the local image ID. */
  digest: string;
  built: boolean;
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

function digestOf(info: { id: string; repoDigests: string[] }): string {
  return info.repoDigests[0] ?? info.id;
}

export async function resolveBuilder(cfg: Config, signal: AbortSignal): Promise<Builder> {
  if (cfg.dockerfile) {
    const hash = builderHash(fs.readFileSync(cfg.dockerfile), contextFiles(cfg.context), cfg.buildArgs);
    const tag = builderTag(cfg, hash);
    const existing = await inspectImage(tag);
    if (existing?.labels[HASH_LABEL] === hash) {
      core.info(`Reusing builder ${tag}: its Dockerfile and context are unchanged (${hash.slice(0, 12)})`);
      return { image: tag, digest: digestOf(existing), built: false };
    }
    await ensurePlugin({ plugin: 'buildx', version: cfg.buildxVersion, url: cfg.buildxUrl || releaseUrl('buildx', cfg.buildxVersion) });
    await docker(buildArgs(cfg, tag, hash), { group: `Build builder image ${tag}`, env: cfg.buildArgs, signal, what: `Building the builder image ${tag}` });
    const built = await inspectImage(tag);
    if (!built) throw new Error(`The builder image ${tag} was built but cannot be found`);
    return { image: tag, digest: digestOf(built), built: true };
  }
  let info = cfg.pull === 'always' ? undefined : await inspectImage(cfg.image);
  if (!info) {
    if (cfg.pull === 'never') throw new Error(`The builder image ${cfg.image} is not on this runner and pull is 'never'`);
    await withRetry(
      `docker pull ${cfg.image}`,
      async () => {
        const res = await run('docker', ['pull', cfg.image], { group: `Pull builder image ${cfg.image}`, signal });
        if (res.code !== 0) throw classifyRegistryFailure(`docker pull ${cfg.image}`, res);
      },
      { signal },
    );
    info = await inspectImage(cfg.image);
    if (!info) throw new Error(`The builder image ${cfg.image} was pulled but cannot be found`);
  }
  return { image: cfg.image, digest: digestOf(info), built: false };
}

/**
 * Docker CLI plugins (buildx, compose) on runners that lack them: downloaded once into the
 * runner's tool cache (RUNNER_TOOL_CACHE/<tool>/<version>/<arch>) and linked into the CLI's
 * plugin folder, $DOCKER_CONFIG/cli-plugins or ~/.docker/cli-plugins. A download is verified
 * against the `checksums.txt` the release publishes beside the binary (sha256sum's format, as
 * the buildx and compose releases have it) before it enters the cache.
 */
import { createHash } from 'node:crypto';
import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasPlugin } from './docker';
import { TransientError, withRetry } from './retry';

export interface PluginSource {
  plugin: 'buildx' | 'compose';
  version: string;
  /** Where the binary is downloaded from when the runner has no copy. */
  url: string;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

export function releaseUrl(plugin: PluginSource['plugin'], version: string, arch = os.arch()): string {
  const a = ARCH[arch] ?? arch;
  return plugin === 'buildx'
    ? `https://github.com/docker/buildx/releases/download/v${version}/buildx-v${version}.linux-${a}`
    : `https://github.com/docker/compose/releases/download/v${version}/docker-compose-linux-${arch === 'x64' ? 'x86_64' : 'aarch64'}`;
}

/** The release's checksums file: `checksums.txt` in the folder the binary is downloaded from. */
export function checksumsUrl(url: string): string {
  return new URL('checksums.txt', url).href;
}

/** Throws unless `checksums` (sha256sum output) lists the binary's file name with its sha256. */
export function verifyChecksum(src: PluginSource, binary: Buffer, checksums: string): void {
  const name = decodeURIComponent(new URL(src.url).pathname.split('/').pop() ?? '');
  const listed = checksums
    .split('\n')
    .map((line) => /^([0-9a-f]{64}) [ *](.+)$/i.exec(line.trim()))
    .find((m) => m?.[2] === name)?.[1];
  if (!listed) throw new Error(`${checksumsUrl(src.url)} lists no sha256 for ${name}: docker ${src.plugin} was not installed`);
  const actual = createHash('sha256').update(binary).digest('hex');
  if (actual !== listed.toLowerCase())
    throw new Error(`docker ${src.plugin} from ${src.url} has sha256 ${actual}, but the release lists ${listed.toLowerCase()}: not installed`);
}

export function pluginDir(): string {
  return path.join(process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker'), 'cli-plugins');
}

/** Returns where the plugin came from: 'runner', 'tool-cache' or 'download'. */
export async function ensurePlugin(src: PluginSource): Promise<'runner' | 'tool-cache' | 'download'> {
  if (await hasPlugin(src.plugin)) return 'runner';
  const tool = `docker-${src.plugin}`;
  const tc = await import('@actions/tool-cache'); // loaded on first use: a faster start
  const cached = tc.find(tool, src.version);
  const dir = cached || (await downloadVerified(tc, src, tool));
  const target = path.join(pluginDir(), tool);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.chmodSync(path.join(dir, tool), 0o755);
  fs.rmSync(target, { force: true });
  fs.symlinkSync(path.join(dir, tool), target);
  if (!(await hasPlugin(src.plugin))) throw new Error(`docker ${src.plugin} from ${src.url} does not run on this runner`);
  return cached ? 'tool-cache' : 'download';
}

/** Downloads the plugin, checks it against the release's checksums and caches it; returns the cache folder. */
async function downloadVerified(tc: typeof import('@actions/tool-cache'), src: PluginSource, tool: string): Promise<string> {
  core.info(`docker ${src.plugin} is missing: downloading ${src.version} into the tool cache`);
  const file = await withRetry(`download of ${tool}`, () => tc.downloadTool(src.url)).catch((err: unknown) => {
    throw new Error(
      `This runner has no docker ${src.plugin}, and downloading ${src.version} from ${src.url} failed: ${(err as Error).message}. Install it on the runner or point the action at a reachable copy.`,
    );
  });
  try {
    const sumsUrl = checksumsUrl(src.url);
    const listed = await withRetry(`download of the checksums of ${tool}`, async () => {
      const res = await fetch(sumsUrl, { signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new TransientError(`HTTP ${res.status}`, res.status);
      return res.text();
    }).catch((err: unknown) => {
      throw new Error(`The checksums of docker ${src.plugin} ${src.version} could not be read from ${sumsUrl}: ${(err as Error).message}`);
    });
    verifyChecksum(src, fs.readFileSync(file), listed);
    return await tc.cacheFile(file, tool, tool, src.version);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

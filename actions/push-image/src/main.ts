import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAction, saveState, loadState } from '../../shared/action';
import { docker, hasPlugin, inspectImage } from '../../shared/docker';
import { writeSummary } from '../../shared/summary';
import { readConfig } from './config';
import { readGitContext } from './git-context';
import { computeTags } from './tags';
import { buildCommand, imageRefs, ociLabels } from './plan';
import { login, logout, push } from './registry';

async function main(signal: AbortSignal): Promise<void> {
  const cfg = readConfig();
  const ctx = readGitContext();
  const { tags, version } = computeTags(ctx, cfg.tagOptions);
  const refs = imageRefs(cfg.images, tags);
  const labels = ociLabels(ctx, version, new Date(), cfg.labels);
  core.info(`Tags: ${refs.join(', ')}`);
  const retry = { retries: cfg.retries, timeoutMs: cfg.timeoutMinutes * 60_000, signal };

  if (cfg.login && cfg.push) {
    saveState('logout', cfg.logout ? [cfg.login.registry] : []);
    await login(cfg.login.registry, cfg.login.username, cfg.login.password, retry);
  }

  let imageId: string;
  if (cfg.build) {
    const dir = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'push-image-'));
    const iidfile = path.join(dir, 'iid');
    const cmd = buildCommand(cfg, refs, labels, iidfile, await hasPlugin('buildx'));
    await docker(cmd.args, { env: cmd.env, group: `Build ${refs[0]}`, timeoutMs: retry.timeoutMs, signal, what: `Building ${refs[0]}` });
    imageId = fs.readFileSync(iidfile, 'utf8').trim();
    fs.rmSync(dir, { recursive: true, force: true });
  } else {
    const source = await inspectImage(cfg.sourceImage);
    if (!source) throw new Error(`source-image ${cfg.sourceImage} is not on this runner: build it first, or set build: true`);
    for (const ref of refs) await docker(['tag', cfg.sourceImage, ref], { silent: true });
    imageId = source.id;
  }

  let digest = '';
  if (cfg.push) {
    const digests = new Map<string, string>();
    for (const ref of refs) digests.set(ref, await push(ref, retry));
    digest = digests.get(refs[0]!)!;
    const info = await inspectImage(refs[0]!);
    for (const image of cfg.images) {
      const pushed = refs.filter((r) => r.startsWith(`${image}:`)).map((r) => digests.get(r));
      const recorded = info?.repoDigests.find((d) => d.startsWith(`${image}@`))?.split('@')[1];
      if (new Set(pushed).size !== 1 || recorded !== pushed[0])
        throw new Error(`The digests of ${image} do not agree (pushed ${[...new Set(pushed)].join(', ')}, recorded ${recorded ?? 'none'})`);
    }
  }

  const metadata = { tags: refs, version, labels, imageId, digest: digest || undefined };
  core.setOutput('image', refs[0]);
  core.setOutput('tags', refs.join('\n'));
  core.setOutput('version', version);
  core.setOutput('image-id', imageId);
  core.setOutput('digest', digest);
  core.setOutput('metadata', JSON.stringify(metadata));
  await writeSummary('push-image', [
    ['Tags', refs.map((r) => `\`${r}\``).join('<br>')],
    ['Version', version],
    ['Image ID', `\`${imageId}\``],
    ['Digest', digest ? `\`${digest}\`` : 'not pushed'],
    ...(digest ? ([['Pull', `\`docker pull ${cfg.images[0]}@${digest}\``]] as const) : []),
  ]);
}

async function post(): Promise<void> {
  for (const registry of loadState<string[]>('logout') ?? []) await logout(registry);
}

void runAction(main, post);

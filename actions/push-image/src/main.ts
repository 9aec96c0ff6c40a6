import * as core from '@actions/core';
import { loadState, runAction } from '../../shared/action';
import { readContext } from '../../shared/context';
import { logout } from '../../shared/registry';
import { code, lines, writeSummary } from '../../shared/summary';
import { readConfig } from './config';
import { planImage } from './plan';
import { logIn, makeImage, pushAll } from './publish';

async function main(signal: AbortSignal): Promise<void> {
  const ctx = readContext();
  const cfg = await readConfig(ctx.workspace);
  const plan = planImage(cfg, ctx, new Date());
  core.info(`Tags: ${plan.refs.join(', ')}`);
  const call = { retries: cfg.retries, timeoutMs: cfg.timeoutMinutes * 60_000, signal };

  // Logging in and building do not depend on each other: they run side by side.
  const [imageId] = await Promise.all([makeImage(plan, cfg.sourceImage, ctx, call), cfg.push ? logIn(cfg.logins, cfg.logout, call) : undefined]);
  const digests = cfg.push ? await pushAll(cfg.images, plan.refs, call) : new Map<string, string>();
  const digest = digests.get(cfg.images[0]!) ?? '';

  core.setOutput('image', plan.refs[0]);
  core.setOutput('tags', plan.refs.join('\n'));
  core.setOutput('version', plan.version);
  core.setOutput('image-id', imageId);
  core.setOutput('digest', digest);
  core.setOutput('metadata', JSON.stringify({ tags: plan.refs, version: plan.version, labels: plan.labels, imageId, digest: digest || undefined }));
  await writeSummary('push-image', [
    ['Tags', lines(plan.refs.map(code))],
    ['Version', plan.version],
    ['Image ID', code(imageId)],
    ['Digest', digest ? code(digest) : 'not pushed'],
    ...[...digests].map(([image, d]) => ['Pull', code(`docker pull ${image}@${d}`)] as const),
  ]);
}

async function post(): Promise<void> {
  for (const registry of loadState<string[]>('logout') ?? []) await logout(registry);
}

void runAction(main, post);

import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAction, saveState, loadState } from '../../shared/action';
import { docker, inspectImage } from '../../shared/docker';
import { writeSummary } from '../../shared/summary';
import { readConfig } from './config';
import { readGitContext } from './git-context';
import { computeTags } from './tags';
import { buildCommand, imageRefs, ociLabels } from './plan';
import { login, logout, push } from './registry';

async function main(signal: AbortSignal): Promise<void> {
  const cfg = await readConfig();
  const ctx = readGitContext();
  const { tags, version } = computeTags(ctx, cfg.tagOptions);
  const refs = imageRefs(cfg.images, tags);
  const labels = ociLabels(ctx, version, new Date(), cfg.labels);
  core.info(`Tags: ${refs.join(', ')}`);
  const retry = { retries: cfg.retries, timeoutMs: cfg.timeoutMinutes * 60_000, signal };

  // Logging in and building do not depend on each other: they run side by side.
  const loggedIn = (async () => {
    if (!cfg.logins.length || !cfg.push) return;
    saveState('logout', cfg.logout ? cfg.logins.map((l) => l.registry) : []);
    await Promise.all(cfg.logins.map((l) => login(l.registry, l.username, l.password, retry)));
  })();
  const [imageId] = await Promise.all([cfg.build ? build() : retag(), loggedIn]);

  async function build(): Promise<string> {
    const dir = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'push-image-'));
    const iidfile = path.join(dir, 'iid');
    const cmd = buildCommand(cfg, refs, labels, iidfile);
    try {
      await docker(cmd.args, { env: cmd.env, group: `Build ${refs[0]}`, timeoutMs: retry.timeoutMs, signal, what: `Building ${refs[0]}` });
      return fs.readFileSync(iidfile, 'utf8').trim();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async function retag(): Promise<string> {
    const source = await inspectImage(cfg.sourceImage);
    if (!source) throw new Error(`source-image ${cfg.sourceImage} is not on this runner: build it first, or set build: true`);
    await Promise.all(refs.map((ref) => docker(['tag', cfg.sourceImage, ref], { silent: true })));
    return source.id;
  }

  let digest = '';
  if (cfg.push) {
    // The first push that fails for good stops the others.
    const stop = new AbortController();
    signal.addEventListener('abort', () => stop.abort(signal.reason), { once: true });
    const pushOne = async (ref: string) => {
      try {
        return [ref, await push(ref, { ...retry, signal: stop.signal })] as const;
      } catch (err) {
        stop.abort(err);
        throw err;
      }
    };
    const digests = new Map(await Promise.all(refs.map(pushOne)));
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

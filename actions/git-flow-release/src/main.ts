import * as core from '@actions/core';
import { runAction } from '../../shared/action';
import { readContext } from '../../shared/context';
import { escapeLog } from '../../shared/exec';
import { Git } from '../../shared/git';
import { code, lines, writeSummary } from '../../shared/summary';
import { readConfig } from './config';
import { finish, release, startAndPush, type Kind } from './flow';
import { fetchAll, readFlow } from './repository';
import { createRelease, releaseRequest } from './github-release';

async function main(signal: AbortSignal): Promise<void> {
  const ctx = readContext();
  const cfg = readConfig(ctx.workspace);
  const git = new Git(cfg.repo, cfg.identity);
  core.startGroup('Preflight: fetch and read the git-flow configuration');
  await fetchAll(git, cfg.remote, cfg.unshallow).finally(() => core.endGroup());
  const flow = await readFlow(git, cfg);
  core.info(`master ${flow.master}, develop ${flow.develop}, prefixes ${flow.releasePrefix} ${flow.hotfixPrefix}, tags ${flow.tagPrefix || '(no prefix)'}X.Y.Z`);

  const kind: Kind = cfg.operation.startsWith('hotfix') ? 'hotfix' : 'release';
  // Nothing is pushed unless all of it is (one atomic push); on a failure the local branches, tags
  // and checkout go back to how they were too, so that a re-run on a kept (self-hosted) checkout
  // starts from the same place.
  const before = await git.snapshot();
  const result = await (cfg.operation === 'release'
    ? release(git, flow, cfg)
    : cfg.operation.endsWith('-start')
      ? startAndPush(git, flow, cfg, kind)
      : finish(git, flow, cfg, kind, cfg.version || undefined)
  ).catch(async (err: unknown) => {
    const put = await git.restore(before).catch((again: unknown) => [`(could not put the local refs back: ${(again as Error).message})`]);
    if (put.length) core.info(`Put back the local refs this run changed: ${put.map(escapeLog).join(', ')}`);
    throw err;
  });

  if (cfg.githubRelease && result.master) {
    const url = await createRelease(cfg.githubToken, releaseRequest(ctx.repository, result.tag, result.version, result.notes), signal);
    result.steps.push(`created the GitHub Release ${url}`);
    core.setOutput('release-url', url);
  }
  for (const step of result.steps) core.info(`- ${step}`);
  core.setOutput('version', result.version);
  core.setOutput('tag', result.tag);
  core.setOutput('branch', result.branch);
  core.setOutput('master-sha', result.master);
  core.setOutput('develop-sha', result.develop);
  core.setOutput('release-notes', result.notes);
  await writeSummary(`git-flow-release: ${cfg.operation} ${result.version}`, [
    ['Tag', code(result.tag)],
    ['Branch', code(result.branch)],
    ...(result.master ? ([[flow.master, code(result.master.slice(0, 12))], [flow.develop, code(result.develop.slice(0, 12))]] as const) : []),
    ['Steps', lines(result.steps)],
  ]);
}

void runAction(main);

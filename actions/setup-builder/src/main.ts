import * as core from '@actions/core';
import { randomBytes } from 'node:crypto';
import { runAction, saveState, loadState, StepFailure } from '../../shared/action';
import { removeContainers } from '../../shared/docker';
import { run } from '../../shared/exec';
import { writeSummary, seconds } from '../../shared/summary';
import { readConfig } from './config';
import { resolveBuilder } from './builder-image';
import { runArgs } from './plan';

async function main(signal: AbortSignal): Promise<void> {
  const cfg = readConfig();
  const started = Date.now();
  const builder = await resolveBuilder(cfg, signal);
  core.setOutput('image', builder.image);
  core.setOutput('digest', builder.digest);
  core.setOutput('built', String(builder.built));

  const runId = `${process.env.GITHUB_RUN_ID ?? 'local'}-${randomBytes(4).toString('hex')}`;
  const containerName = `drover-builder-${runId}`;
  saveState('run', runId);
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const plan = runArgs(cfg, { image: builder.image, containerName, runId, uid, gid });
  const res = await run('docker', plan.args, {
    env: plan.env,
    group: `Build in ${builder.image}`,
    timeoutMs: cfg.timeoutMinutes * 60_000,
    signal,
    tailLines: 15,
  });
  // --rm removes the container when the build ends; a build stopped by its timeout or a
  // cancellation may leave it running, since stopping the docker client does not stop it.
  if (res.timedOut || res.cancelled) await removeContainers(`io.drover.run=${runId}`);

  const duration = Date.now() - started;
  core.setOutput('duration', (duration / 1000).toFixed(1));
  core.setOutput('exit-code', String(res.code));
  const outcome = res.timedOut ? `timed out after ${cfg.timeoutMinutes} min` : res.cancelled ? 'cancelled' : `exit code ${res.code}`;
  await writeSummary('setup-builder', [
    ['Builder', `\`${builder.image}\``],
    ['Digest', `\`${builder.digest}\``],
    ['Builder rebuilt', builder.built ? 'yes' : 'no'],
    ['Result', outcome],
    ['Duration', seconds(duration)],
  ]);
  if (res.code !== 0 || res.timedOut || res.cancelled) {
    const failures = res.failures.length ? `\nFailures:\n${res.failures.join('\n')}` : '';
    throw new StepFailure(`The build in ${builder.image} failed (${outcome}).${failures}\nLast lines:\n${res.tail.join('\n')}`, res.code || 1);
  }
}

/** A cancelled job can end main before its own clean-up: remove the build container it started. */
async function post(): Promise<void> {
  const runId = loadState<string>('run');
  if (runId) {
    const n = await removeContainers(`io.drover.run=${runId}`);
    if (n) core.info(`Removed ${n} leftover build container(s)`);
  }
}

void runAction(main, post);

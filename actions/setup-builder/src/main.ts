import * as core from '@actions/core';
import { randomBytes } from 'node:crypto';
import { loadState, runAction, saveState, StepFailure } from '../../shared/action';
import { readContext } from '../../shared/context';
import { removeByLabel, runContainer } from '../../shared/docker';
import { succeeded } from '../../shared/exec';
import { code, seconds, writeSummary } from '../../shared/summary';
import { failureLines } from '../../shared/test-failures';
import { resolveBuilder } from './builder-image';
import { readConfig } from './config';
import { buildContainer, RUN_LABEL } from './plan';

async function main(signal: AbortSignal): Promise<void> {
  const ctx = readContext();
  const cfg = readConfig(ctx.workspace);
  const started = Date.now();
  const timeoutMs = cfg.timeoutMinutes * 60_000;
  const builder = await resolveBuilder(cfg.builder, { pull: cfg.pull, buildx: cfg.buildx, temp: ctx.temp, timeoutMs, signal });
  core.setOutput('image', builder.image);
  core.setOutput('digest', builder.digest);
  core.setOutput('built', String(builder.built));

  const runId = `${ctx.runId || 'local'}-${randomBytes(4).toString('hex')}`;
  saveState('run', runId);
  const container = buildContainer(cfg.job, { image: builder.image, containerName: `drover-builder-${runId}`, runId, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
  const failures = failureLines();
  const res = await runContainer(container, ctx.temp, { group: `Build in ${builder.image}`, timeoutMs, signal, tailLines: 15, onLine: failures.onLine });
  // --rm removes the container when the build ends; a build stopped by its timeout or a
  // cancellation may leave it running, since stopping the docker client does not stop it.
  if (res.timedOut || res.cancelled) await removeByLabel('container', `${RUN_LABEL}=${runId}`);

  const duration = Date.now() - started;
  const result = res.timedOut ? `timed out after ${cfg.timeoutMinutes} min` : res.cancelled ? 'cancelled' : `exit code ${res.code}`;
  core.setOutput('duration', (duration / 1000).toFixed(1));
  core.setOutput('exit-code', String(res.code));
  await writeSummary('setup-builder', [
    ['Builder', code(builder.image)],
    ['Digest', code(builder.digest)],
    ['Builder rebuilt', builder.built ? 'yes' : 'no'],
    ['Result', result],
    ['Duration', seconds(duration)],
  ]);
  if (!succeeded(res)) {
    const failed = failures.lines.length ? `\nFailures:\n${failures.lines.join('\n')}` : '';
    throw new StepFailure(`The build in ${builder.image} failed (${result}).${failed}\nLast lines:\n${res.tail.join('\n')}`, res.code || 1);
  }
}

/** A cancelled job can end main before its own clean-up: remove the build container it started. */
async function post(): Promise<void> {
  const runId = loadState<string>('run');
  if (!runId) return;
  const n = await removeByLabel('container', `${RUN_LABEL}=${runId}`);
  if (n) core.info(`Removed ${n} leftover build container(s)`);
}

void runAction(main, post);

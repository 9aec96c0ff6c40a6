import * as core from '@actions/core';
import { runAction } from '../../shared/action';
import { readContext } from '../../shared/context';
import { code, lines, seconds, text, writeSummary } from '../../shared/summary';
import { readConfig } from './config';
import { Environment } from './environment';
import { runTests } from './tests';

async function main(signal: AbortSignal): Promise<void> {
  const ctx = readContext();
  const cfg = await readConfig(ctx.workspace);
  const env = await Environment.prepare(cfg, ctx);
  core.setOutput('project-name', env.compose.project);

  const run = await settle(async () => {
    const found = await env.start(cfg, signal);
    core.info(`Ready in ${seconds(env.readyMs)}`);
    core.setOutput('endpoints', JSON.stringify(found.byService));
    for (const [k, v] of Object.entries(found.env)) core.info(`${k}=${v}`);
    return runTests(cfg, env.compose, found, signal);
  });
  if (!run.ok) core.setOutput('logs-path', await env.saveLogs());
  await env.end(!run.ok && cfg.keepOnFailure, cfg.downTimeoutSeconds);

  core.setOutput('outcome', run.ok ? 'success' : 'failure');
  await writeSummary('compose-itest', [
    ['Project', text(code(env.compose.project), ` (Compose ${env.compose.flavor})`)],
    ['Services', lines(Object.entries(env.model.services).map(([name, s]) => text(`${name}: `, code(String(s.image ?? 'built')))))],
    ['Time to ready', env.readyMs ? seconds(env.readyMs) : 'not ready'],
    ['Tests', run.ok ? run.value : (run.error as Error).message.split('\n')[0]!],
  ]);
  if (!run.ok) throw run.error;
}

/** The outcome of fn as data, so the steps after it run whatever it did. */
async function settle<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

void runAction(main, Environment.cleanUpAfter);

import * as core from '@actions/core';
import { loadState, runAction, saveState } from '../../shared/action';
import { readContext } from '../../shared/context';
import { blueGreenDeploy, blueGreenRollback } from './blue-green';
import { readConfig, type Config } from './config';
import { RancherTarget } from './rancher-target';
import { Report, type Outcome } from './report';
import { IN_FLIGHT, rollingConfirm, rollingDeploy, rollingRollback } from './rolling';
import { SwarmTarget } from './swarm-target';
import type { DeployTarget } from './target';

function connectTo(cfg: Config, signal?: AbortSignal): DeployTarget {
  const ctx = readContext();
  return cfg.target === 'rancher'
    ? new RancherTarget(cfg.rancher!, { timeoutMs: cfg.requestTimeoutMs, retries: cfg.retries, signal })
    : new SwarmTarget(ctx, cfg.rollout, signal);
}

async function main(signal: AbortSignal): Promise<void> {
  const cfg = readConfig(readContext().workspace);
  const target = connectTo(cfg, signal);
  const report = new Report();
  let outcome: Outcome | undefined;
  try {
    await target.connect();
    outcome = await run(target, cfg, report, signal);
  } catch (err) {
    await report.finish(cfg, outcome, (err as Error).message);
    throw err;
  }
  await report.finish(cfg, outcome);
}

function run(t: DeployTarget, cfg: Config, report: Report, signal: AbortSignal): Promise<Outcome> {
  const blueGreen = cfg.strategy === 'blue-green';
  switch (cfg.action) {
    case 'deploy':
      return blueGreen ? blueGreenDeploy(t, cfg, report, signal) : rollingDeploy(t, cfg, report);
    case 'rollback':
      return blueGreen ? blueGreenRollback(t, cfg, report) : rollingRollback(t, cfg, report);
    case 'confirm':
      return rollingConfirm(t, cfg, report);
  }
}

/** A cancelled deploy: services still mid-upgrade go back to the old version, never stay half-way. */
async function post(): Promise<void> {
  const inFlight = loadState<{ stack: string; services: string[] } | null>(IN_FLIGHT);
  if (!inFlight) return;
  const cfg = readConfig(readContext().workspace);
  const target = connectTo(cfg);
  await target.connect();
  for (const service of inFlight.services) {
    const s = await target.status(inFlight.stack, service);
    if (!s || s.state === 'active') continue;
    core.warning(`${service} was left ${s.state} by the cancelled deploy: rolling back`);
    await target.rollback(inFlight.stack, service, Date.now() + cfg.timeoutMs);
    core.info(`${service} runs ${(await target.status(inFlight.stack, service))?.image ?? '?'} again`);
  }
  saveState(IN_FLIGHT, null);
}

void runAction(main, post);

/**
 * Canary: each step's weights in one change, then the pause and the gate before the next step.
 * Whatever stops it once traffic has moved (a failed gate, an AWS error from the gate or the
 * wait, a cancelled run) puts back the weights from before the first step, then reports.
 */
import * as core from '@actions/core';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Route53 } from '../../shared/route53';
import type { Config } from './config';
import { checkGate } from './gates';
import { canaryWeights, weightChanges, weightsOf, type Change, type RecordSet } from './plan';

export type Apply = (what: string, changes: Change[], group: readonly RecordSet[]) => Promise<void>;

export async function canary(
  cfg: Config,
  plan: NonNullable<Config['canary']>,
  group: RecordSet[],
  apply: Apply,
  restore: (weights: Record<string, number>) => Promise<void>,
  r53: Route53,
  signal: AbortSignal,
): Promise<Record<string, number>> {
  const before = weightsOf(group);
  let current = group;
  let weights = before;
  let moved = false;
  let at = '';
  try {
    for (const [i, step] of plan.steps.entries()) {
      at = `step ${i + 1} (${plan.to} at ${step})`;
      weights = canaryWeights(step, plan.to, current);
      moved = !cfg.dryRun; // from here on, a change may have been sent even when its wait fails
      await apply(`canary step ${i + 1} of ${plan.steps.length}: ${plan.to} at ${step}`, weightChanges(cfg.record, cfg.type, current, weights, {}, cfg.ttl), current);
      current = current.map((r) => (r.SetIdentifier && r.SetIdentifier in weights ? { ...r, Weight: weights[r.SetIdentifier], TTL: cfg.ttl } : r));
      if (i === plan.steps.length - 1 || !cfg.gate || cfg.dryRun) continue;
      await sleep(plan.pauseMs, undefined, { signal });
      const failed = await checkGate(cfg.gate, r53, signal);
      if (failed) throw new Error(`Canary gate failed at ${at}: ${failed}`);
      core.info(`Gate passed after ${at}`);
    }
  } catch (err) {
    if (!moved) throw err;
    const why = signal.aborted ? `Canary cancelled at ${at}` : (err as Error).message.startsWith('Canary gate failed') ? (err as Error).message : `Canary ${at} failed: ${(err as Error).message}`;
    core.info(`${why}: restoring the weights from before the canary`);
    try {
      await restore(before);
    } catch (again) {
      throw new Error(`${why}; restoring the weights ${JSON.stringify(before)} failed too: ${(again as Error).message}`, { cause: again });
    }
    throw new Error(`${why}; weights restored to ${JSON.stringify(before)}`, { cause: err });
  }
  return weights;
}

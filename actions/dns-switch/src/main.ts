import * as core from '@actions/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { runAction } from '../../shared/action';
import { escapeLog } from '../../shared/exec';
import { awsMessage, Route53 } from '../../shared/route53';
import { writeSummary } from '../../shared/summary';
import { readConfig, type Config } from './config';
import { checkGate } from './gates';
import {
  activeWeights,
  canaryWeights,
  healthCheckConfig,
  healthCheckReference,
  lbHostChanges,
  lbHostName,
  planTable,
  routingChanges,
  weightChanges,
  weightsOf,
  type Change,
  type RecordSet,
} from './plan';

async function main(signal: AbortSignal): Promise<void> {
  // Whatever configure-aws-credentials left in the environment stays out of the log, from the start.
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) if (process.env[name]) core.setSecret(process.env[name]!);
  const cfg = await readConfig();
  const r53 = await Route53.connect({ endpoint: cfg.endpoint || undefined, region: cfg.region, maxAttempts: cfg.maxAttempts });
  const zone = await r53.zone(cfg.zone);
  const rows: [string, string, string][] = [];
  let changeId = '';

  /** Plans, prints, and (unless dry-run) applies one atomic batch and waits for it. */
  const apply = async (what: string, changes: Change[], group: readonly RecordSet[]) => {
    const table = planTable(changes, group);
    rows.push(...table);
    if (!changes.length) return core.info(`${what}: nothing to change`);
    core.info(`${what}${cfg.dryRun ? ' (dry run, nothing changed)' : ''}:\n${table.map(([r, b, a]) => `  ${r}: ${b} -> ${a}`).join('\n')}`);
    if (cfg.dryRun) return;
    changeId = await r53.change(zone.id, changes, `drover dns-switch: ${what}`.slice(0, 256));
    if (cfg.wait) {
      await r53.waitInSync(changeId, cfg.pollSeconds, cfg.timeoutSeconds, signal);
      core.info(`Change ${changeId} is INSYNC`);
    }
  };

  const group = cfg.record ? await r53.group<RecordSet>(zone.id, cfg.record, cfg.type) : [];
  const previous = weightsOf(group);
  let after = previous;
  if (cfg.weights || cfg.active) {
    after = cfg.weights ?? activeWeights(cfg.active, group, cfg.values);
    await apply(`weights of ${cfg.record}`, weightChanges(cfg.record, cfg.type, group, after, cfg.values, cfg.ttl), group);
  } else if (cfg.canary) {
    after = await canary(cfg, cfg.canary, group, apply, r53, signal);
  } else if (cfg.routing.length) {
    const ids: Record<string, string> = {};
    for (const r of cfg.routing.filter((x) => x.healthCheck)) {
      if (cfg.dryRun) continue;
      const hc = await r53.healthCheck(healthCheckReference(r.healthCheck!), healthCheckConfig(r.healthCheck!));
      ids[r.setIdentifier] = hc.id;
      core.info(`Health check ${hc.id} for ${r.setIdentifier}${hc.created ? ' created' : ''}`);
    }
    await apply(`routing records of ${cfg.record}`, routingChanges(cfg.record, cfg.type, group, cfg.routing, ids, cfg.ttl), group);
  }
  if (Object.keys(cfg.lbHosts).length) {
    const existing: Record<string, RecordSet | undefined> = {};
    for (const lb of Object.keys(cfg.lbHosts)) {
      const name = lbHostName(zone.name, cfg.lbStack, cfg.lbEnvironment, lb);
      existing[name] = (await r53.group<RecordSet>(zone.id, name, 'A'))[0];
    }
    await apply('load balancer host records', lbHostChanges(zone.name, cfg.lbStack, cfg.lbEnvironment, cfg.lbHosts, existing, cfg.ttl), Object.values(existing).filter((r): r is RecordSet => Boolean(r)));
  }

  core.setOutput('previous-weights', JSON.stringify(previous));
  core.setOutput('weights', JSON.stringify(cfg.dryRun ? previous : after));
  core.setOutput('change-id', changeId);
  await writeSummary(`dns-switch${cfg.dryRun ? ' (dry run)' : ''}`, [
    ['Zone', `\`${escapeLog(zone.name)}\` (${zone.id})`],
    ...rows.map(([r, b, a]) => [`\`${escapeLog(r)}\``, `${escapeLog(b)} → ${escapeLog(a)}`] as [string, string]),
    ['Change', changeId || (cfg.dryRun ? 'dry run: none sent' : 'nothing to change')],
  ]);
}

/**
 * Canary: each step's weights in one change, then the pause and the gate before the next step.
 * A failed gate restores the weights from before the first step, waits until INSYNC, and fails.
 */
async function canary(
  cfg: Config,
  plan: NonNullable<Config['canary']>,
  group: RecordSet[],
  apply: (what: string, changes: Change[], group: readonly RecordSet[]) => Promise<void>,
  r53: Route53,
  signal: AbortSignal,
): Promise<Record<string, number>> {
  const before = weightsOf(group);
  let current = group;
  let weights = before;
  for (const [i, step] of plan.steps.entries()) {
    weights = canaryWeights(step, plan.to, current);
    await apply(`canary step ${i + 1} of ${plan.steps.length}: ${plan.to} at ${step}`, weightChanges(cfg.record, cfg.type, current, weights, {}, cfg.ttl), current);
    current = current.map((r) => (r.SetIdentifier && r.SetIdentifier in weights ? { ...r, Weight: weights[r.SetIdentifier], TTL: cfg.ttl } : r));
    if (i === plan.steps.length - 1 || !cfg.gate || cfg.dryRun) continue;
    await sleep(plan.pauseMs, undefined, { signal });
    const failed = await checkGate(cfg.gate, r53, signal);
    if (!failed) {
      core.info(`Gate passed after step ${i + 1} (${plan.to} at ${step})`);
      continue;
    }
    await apply('restoring the weights from before the canary', weightChanges(cfg.record, cfg.type, current, before, {}, cfg.ttl), current);
    throw new Error(`Canary gate failed at step ${i + 1} (${plan.to} at ${step}): ${failed}; weights restored to ${JSON.stringify(before)}`);
  }
  return weights;
}

void runAction((signal) =>
  main(signal).catch((err: unknown) => {
    // The SDK's errors carry the service's code (Throttling, InvalidChangeBatch, NoSuchHostedZone): keep it in the message.
    throw (err as { $metadata?: unknown }).$metadata ? new Error(awsMessage(err)) : err;
  }),
);

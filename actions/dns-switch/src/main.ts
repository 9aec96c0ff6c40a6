import * as core from '@actions/core';
import { runAction } from '../../shared/action';
import { escapeLog, maskSecret } from '../../shared/exec';
import { Route53 } from '../../shared/route53';
import { code, text, writeSummary } from '../../shared/summary';
import { canary } from './canary';
import { readConfig } from './config';
import { checkGateReadable } from './gates';
import { deleteReplaced, replacedHealthChecks, routingHealthChecks } from './health-checks';
import { activeWeights, lbHostChanges, lbHostName, planTable, routingChanges, weightChanges, weightsOf, type Change, type RecordSet } from './plan';

async function main(signal: AbortSignal): Promise<void> {
  // Whatever configure-aws-credentials left in the environment stays out of the log, from the start.
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) if (process.env[name]) maskSecret(process.env[name]!);
  const cfg = await readConfig();
  for (const warning of cfg.warnings) core.warning(escapeLog(warning));
  const r53 = await Route53.connect({ endpoint: cfg.endpoint || undefined, region: cfg.region, maxAttempts: cfg.maxAttempts });
  if (cfg.canary && cfg.gate && 'healthCheckId' in cfg.gate) await checkGateReadable(r53, cfg.gate.healthCheckId);
  const zone = await r53.zone(cfg.zone);
  const rows: [string, string, string][] = [];
  let changeId = '';

  /** Plans, prints, and (unless dry-run) applies one atomic batch and waits for it (until `until` aborts). */
  const apply = async (what: string, changes: Change[], group: readonly RecordSet[], until: AbortSignal | undefined = signal) => {
    const table = planTable(changes, group);
    rows.push(...table);
    if (!changes.length) return core.info(`${what}: nothing to change`);
    core.info(`${escapeLog(what)}${cfg.dryRun ? ' (dry run, nothing changed)' : ''}:\n${table.map(([r, b, a]) => `  ${escapeLog(r)}: ${escapeLog(b)} -> ${escapeLog(a)}`).join('\n')}`);
    if (cfg.dryRun) return;
    changeId = await r53.change(zone.id, changes, `drover dns-switch: ${what}`.slice(0, 256));
    if (cfg.wait) {
      await r53.waitInSync(changeId, cfg.pollSeconds, cfg.timeoutSeconds, until);
      core.info(`Change ${changeId} is INSYNC`);
    }
  };
  /** The weights put back on the group as Route 53 has it now, waited for even when the run was cancelled. */
  const restore = async (weights: Record<string, number>) => {
    const now = await r53.group<RecordSet>(zone.id, cfg.record, cfg.type);
    await apply('restoring the weights from before the canary', weightChanges(cfg.record, cfg.type, now, weights, {}, cfg.ttl), now, undefined);
  };

  const group = cfg.record ? await r53.group<RecordSet>(zone.id, cfg.record, cfg.type) : [];
  const previous = weightsOf(group);
  let after = previous;
  if (cfg.weights || cfg.active) {
    after = cfg.weights ?? activeWeights(cfg.active, group, cfg.values);
    await apply(`weights of ${cfg.record}`, weightChanges(cfg.record, cfg.type, group, after, cfg.values, cfg.ttl), group);
  } else if (cfg.canary) {
    after = await canary(cfg, cfg.canary, group, apply, restore, r53, signal);
  } else if (cfg.routing.length) {
    const ids = await routingHealthChecks(cfg, r53);
    await apply(`routing records of ${cfg.record}`, routingChanges(cfg.record, cfg.type, group, cfg.routing, ids, cfg.ttl), group);
    const replaced = replacedHealthChecks(group, ids);
    if (replaced.length && cfg.deleteReplacedHealthChecks && !cfg.dryRun) await deleteReplaced(r53, replaced);
    else if (replaced.length) core.info(`Health checks no record uses now, left in place (delete-replaced-health-checks: false): ${replaced.join(', ')}`);
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
    ['Zone', text(code(zone.name), ` (${zone.id})`)],
    ...rows.map(([r, b, a]) => [code(r), `${b} → ${a}`] as const),
    ['Change', changeId || (cfg.dryRun ? 'dry run: none sent' : 'nothing to change')],
  ]);
}

void runAction(main);

/** The routing records' health checks: found or made (or, in a dry run, only looked up), and the ones they replace. */
import * as core from '@actions/core';
import { escapeLog } from '../../shared/exec';
import type { Route53 } from '../../shared/route53';
import type { Config } from './config';
import { healthCheckConfig, healthCheckHash, type RecordSet } from './plan';

/** What a dry run shows for a check that a real run would create. */
export const NEW_CHECK = '(new)';

export async function routingHealthChecks(cfg: Config, r53: Route53): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const r of cfg.routing) {
    if (!r.healthCheck) continue;
    const hash = healthCheckHash(r.healthCheck);
    if (cfg.dryRun) {
      ids[r.setIdentifier] = (await r53.findHealthCheck(hash)) ?? NEW_CHECK;
      continue;
    }
    const hc = await r53.healthCheck(hash, healthCheckConfig(r.healthCheck), `${cfg.record} ${r.setIdentifier}`);
    ids[r.setIdentifier] = hc.id;
    core.info(`Health check ${hc.id} for ${escapeLog(r.setIdentifier)}${hc.created ? ' created' : ''}`);
  }
  return ids;
}

/** The checks the name's records used before and no longer use. */
export function replacedHealthChecks(group: readonly RecordSet[], ids: Record<string, string>): string[] {
  const now = new Set(Object.values(ids));
  return [...new Set(group.map((r) => r.HealthCheckId).filter((id): id is string => Boolean(id) && !now.has(id!)))];
}

/** Deletes the replaced checks this action made, once the records no longer use them. */
export async function deleteReplaced(r53: Route53, replaced: readonly string[]): Promise<void> {
  for (const id of replaced) {
    const deleted = await r53.deleteOwnHealthCheck(id);
    core.info(deleted ? `Health check ${id} deleted: no record uses it now` : `Health check ${id} is no longer used, but was not made by dns-switch: left in place`);
  }
}

/**
 * Blue-green: the new version goes to the standby stack (`<stack>-blue` or `<stack>-green`), is
 * health-gated and optionally verified over HTTP, then the load balancer switches to it in one
 * update. The old stack keeps running for an instant `rollback` that switches back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { StepFailure } from '../../shared/action';
import { escapeLog } from '../../shared/exec';
import type { Config } from './config';
import { rolloutFor, scalesOf, standbyOf } from './plan';
import type { Outcome, Report } from './report';
import { stackSpec } from './rolling';
import { LEFTOVER_STATES, type DeployTarget } from './target';

export async function blueGreenDeploy(t: DeployTarget, cfg: Config, report: Report, signal: AbortSignal): Promise<Outcome> {
  const deadline = () => Date.now() + cfg.timeoutMs;
  const { active, standby } = standbyOf(cfg.stack, await t.activeStack(cfg.lbService, cfg.stack));
  const scales = scalesOf(cfg.dockerCompose, cfg.rancherCompose);
  const services = cfg.services.length ? cfg.services : Object.keys(scales);
  const previousImage = active ? ((await t.status(active, services[0]!))?.image ?? '') : '';
  report.step(`Active stack: ${active ?? 'none'}; deploying ${cfg.image} to ${standby}`);

  if (!(await t.stackExists(standby))) {
    await t.createStack(standby, stackSpec(cfg, services, true), deadline());
  } else {
    for (const service of services) {
      const s = await t.status(standby, service);
      if (!s) throw new StepFailure(`Service ${service} not found in the standby stack ${standby}`, 1);
      if (LEFTOVER_STATES.has(s.state)) report.step(`${service} in ${standby} was left ${s.state} (leftovers: ${cfg.leftovers}): ${await t.settle(standby, service, cfg.leftovers, deadline())}`);
    }
    await t.scale(standby, scales, deadline()); // after settling: a service left upgraded refuses a scale (409)
    for (const service of services) {
      const r = await t.upgrade(standby, service, cfg.image, rolloutFor(service, cfg.rollout, cfg.rancherCompose), deadline(), (p) => report.progress(p), stackSpec(cfg, services, true));
      if (!r.ok) {
        await t.rollback(standby, service, deadline());
        throw new StepFailure(`Service ${service} in ${standby}: ${r.reason}; the load balancer still sends traffic to ${active ?? 'nothing'}`, 1);
      }
      await t.finish(standby, service, deadline());
    }
  }
  report.step(`${standby} runs ${cfg.image}, healthy`);
  if (cfg.verifyUrl) await verify(cfg, report, signal, active);
  if (cfg.certificate) {
    const changed = await t.useCertificate(cfg.lbService, cfg.certificate, deadline());
    report.step(`Certificate ${cfg.certificate.name} ${changed ? 'put' : 'already'} on ${cfg.lbService}, TLS on port ${cfg.certificate.httpsPort}`);
  }
  await t.switchTo(cfg.lbService, standby, cfg.rancherCompose, cfg.stack, deadline());
  report.step(`Load balancer ${cfg.lbService} switched to ${standby}`);

  if (active && cfg.scaleDownAfterMs !== undefined) {
    await sleep(cfg.scaleDownAfterMs, undefined, { signal });
    await t.scale(active, Object.fromEntries(Object.keys(scales).map((s) => [s, 0])), deadline());
    report.step(`${active} scaled to 0`);
  }
  return { previousImage, image: cfg.image, state: 'active', activeStack: standby, standbyStack: active };
}

/** Switches back to the other stack, bringing it back to scale first if it was parked. */
export async function blueGreenRollback(t: DeployTarget, cfg: Config, report: Report): Promise<Outcome> {
  const current = await t.activeStack(cfg.lbService, cfg.stack);
  if (!current) throw new StepFailure(`The load balancer ${cfg.lbService} sends traffic to no ${cfg.stack}-blue/-green stack: nothing to roll back`, 1);
  const { standby: other } = standbyOf(cfg.stack, current);
  if (!(await t.stackExists(other))) throw new StepFailure(`There is no ${other} to roll back to`, 1);
  const scales = scalesOf(cfg.dockerCompose, cfg.rancherCompose);
  await t.scale(other, scales, Date.now() + cfg.timeoutMs);
  const service = cfg.services[0] ?? Object.keys(scales)[0] ?? '';
  const [from, to] = await Promise.all([t.status(current, service), t.status(other, service)]);
  await t.switchTo(cfg.lbService, other, cfg.rancherCompose, cfg.stack, Date.now() + cfg.timeoutMs);
  report.step(`Load balancer ${cfg.lbService} switched back from ${current} to ${other}`);
  return { previousImage: from?.image ?? '', image: to?.image ?? '', state: 'rolled-back', activeStack: other, standbyStack: current };
}

/** The standby must answer 2xx, retried until the timeout (a fresh service may need a moment). */
async function verify(cfg: Config, report: Report, signal: AbortSignal, active: string | undefined): Promise<void> {
  const until = Date.now() + cfg.timeoutMs;
  for (;;) {
    let last: string;
    try {
      const res = await fetch(cfg.verifyUrl, { signal: AbortSignal.any([signal, AbortSignal.timeout(cfg.requestTimeoutMs)]), redirect: 'manual' });
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 300) break;
      last = `HTTP ${res.status}`;
    } catch (err) {
      signal.throwIfAborted();
      last = escapeLog(String((err as Error).cause ?? (err as Error).message));
    }
    if (Date.now() >= until) throw new StepFailure(`verify-url ${cfg.verifyUrl} did not answer 2xx within ${cfg.timeoutMs / 1000} s (last: ${last}); not switched, the load balancer still sends traffic to ${active ?? 'nothing'}`, 1);
    await sleep(1_000, undefined, { signal });
  }
  report.step(`${cfg.verifyUrl} answered 2xx`);
}

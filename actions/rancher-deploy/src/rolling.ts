/** The rolling (in-place) deploy, its staged confirm and its rollback, the same on both targets. */
import { StepFailure, saveState } from '../../shared/action';
import type { Config } from './config';
import { rolloutFor } from './plan';
import type { Outcome, Report } from './report';
import { IN_FLIGHT, LEFTOVER_STATES, type DeployTarget, type StackSpec } from './target';

export async function rollingDeploy(t: DeployTarget, cfg: Config, report: Report): Promise<Outcome> {
  const deadline = () => Date.now() + cfg.timeoutMs;
  if (!(await t.stackExists(cfg.stack))) {
    report.step(`Creating the stack ${cfg.stack} from ${cfg.composeFile}`);
    if (!cfg.dockerCompose) throw new StepFailure(`The stack ${cfg.stack} does not exist, and there is no compose file ${cfg.composeFile} to create it from`, 1);
    await t.createStack(cfg.stack, stackSpec(cfg, cfg.services, false), deadline());
    report.step(`Stack ${cfg.stack} created and healthy`);
    return { previousImage: '', image: cfg.image, state: 'active' };
  }

  const previous: string[] = [];
  for (const service of cfg.services) {
    let s = await t.status(cfg.stack, service);
    if (!s) throw new StepFailure(`Service ${service} not found in the stack ${cfg.stack}`, 1);
    if (LEFTOVER_STATES.has(s.state)) {
      report.step(`${service} was left ${s.state} by an earlier run (leftovers: ${cfg.leftovers}): ${await t.settle(cfg.stack, service, cfg.leftovers, deadline())}`);
      s = (await t.status(cfg.stack, service))!; // the image it settled on
    }
    previous.push(s.image);
  }
  if (cfg.pull) {
    report.step(`Pulling ${cfg.image}`);
    await t.pull(cfg.image);
  }

  saveState(IN_FLIGHT, { stack: cfg.stack, services: cfg.services });
  const until = deadline();
  const results = await Promise.all(
    cfg.services.map((service) => {
      const rollout = rolloutFor(service, cfg.rollout, cfg.rancherCompose);
      report.step(`${service}: upgrading to ${cfg.image} in batches of ${rollout.batchSize}, ${rollout.intervalMs / 1000} s apart, ${rollout.startFirst ? 'start-first' : 'stop-first'}`);
      return t.upgrade(cfg.stack, service, cfg.image, rollout, until, (p) => report.progress(p), stackSpec(cfg, cfg.services, false)).catch((err: unknown) => ({ ok: false as const, waitedMs: 0, reason: (err as Error).message }));
    }),
  );
  const failed = cfg.services.map((s, i) => [s, results[i]!] as const).filter(([, r]) => !r.ok);
  if (failed.length) {
    for (const [i, service] of cfg.services.entries()) {
      const now = await t.status(cfg.stack, service);
      if (now && !LEFTOVER_STATES.has(now.state) && now.image === previous[i]) continue; // never started, or swarm rolled it back
      report.step(`${service}: rolling back to ${previous[i]}`);
      await t.rollback(cfg.stack, service, deadline());
    }
    saveState(IN_FLIGHT, null);
    const [service, r] = failed[0]!;
    throw new StepFailure(`Service ${service}: ${(r as { reason: string }).reason}, after waiting ${Math.round(r.waitedMs / 1000)} s; rolled back, the stack ${cfg.stack} runs ${previous.join(', ')} again`, 1);
  }
  for (const service of cfg.services) report.step(`${service}: every new container healthy`);
  if (cfg.confirm) {
    for (const service of cfg.services) await t.finish(cfg.stack, service, deadline());
    report.step('Upgrade confirmed');
  }
  saveState(IN_FLIGHT, null);
  return { previousImage: previous[0] ?? '', image: cfg.image, state: cfg.confirm || t.name === 'swarm' ? 'active' : 'upgraded' };
}

/** Confirms an upgrade left waiting by `confirm: false`. */
export async function rollingConfirm(t: DeployTarget, cfg: Config, report: Report): Promise<Outcome> {
  let image = '';
  for (const service of cfg.services) {
    await t.finish(cfg.stack, service, Date.now() + cfg.timeoutMs);
    image = (await t.status(cfg.stack, service))?.image ?? '';
    report.step(`${service}: confirmed on ${image}`);
  }
  return { previousImage: '', image, state: 'active' };
}

/** Rolls back to the image before the last upgrade (Rancher: only while it is not confirmed). */
export async function rollingRollback(t: DeployTarget, cfg: Config, report: Report): Promise<Outcome> {
  let from = '';
  let to = '';
  for (const service of cfg.services) {
    const s = await t.status(cfg.stack, service);
    if (!s) throw new StepFailure(`Service ${service} not found in the stack ${cfg.stack}`, 1);
    if (t.name === 'rancher' && !LEFTOVER_STATES.has(s.state))
      throw new StepFailure(`Service ${service} is ${s.state}: its upgrade was confirmed, so Rancher keeps no older containers to go back to; deploy the previous image instead`, 1);
    from = s.image;
    await t.rollback(cfg.stack, service, Date.now() + cfg.timeoutMs);
    to = (await t.status(cfg.stack, service))?.image ?? '';
    report.step(`${service}: rolled back from ${from} to ${to}`);
  }
  return { previousImage: from, image: to, state: 'rolled-back' };
}

/** What a new stack is made of: the compose files with `services` on the deployed image. */
export function stackSpec(cfg: Config, services: readonly string[], withoutLb: boolean): StackSpec {
  return { files: { dockerCompose: cfg.dockerCompose, rancherCompose: cfg.rancherCompose, localFiles: cfg.localFiles }, image: cfg.image, services, variables: cfg.variables, withoutLb };
}

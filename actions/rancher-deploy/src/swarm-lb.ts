/**
 * The blue-green load balancer on swarm (examples/haproxy-lb), wherever its tasks run.
 *
 * A switch is one global job through the swarm API: on every node, a task of the balancer's own
 * image mounts the balancer's state volume, where each balancer task keeps its HAProxy admin
 * socket, and switches the tasks it finds there through HAProxy's runtime API (no reload, no
 * dropped connection), reading each one back. The admin sockets are on no network: only what a
 * swarm manager schedules with that volume reaches them. The job also writes the choice into the
 * volume on every node, for tasks that start there later.
 *
 * The service's label records the active stack only once every running task has switched. A
 * switch that fails part-way is undone; one cancelled part-way is undone by post, from the state.
 */
import * as core from '@actions/core';
import { randomBytes } from 'node:crypto';
import { loadState, saveState, StepFailure } from '../../shared/action';
import { docker, dockerLines } from '../../shared/docker';
import { escapeLog } from '../../shared/exec';
import { createSecret, inspectService, serviceTasks, updateService, updateServiceLabels, waitForUpdate } from '../../shared/swarm';
import { removeJobs, runGlobalJob } from '../../shared/swarm-job';
import type { Certificate } from './config';

/** The load balancer service's label naming the stack it sends traffic to. */
export const ACTIVE_LABEL = 'io.drover.active';
/** Where the balancer keeps its state: the active backend and each task's admin socket. */
const STATE_DIR = '/var/lib/drover-lb';
/** The command of the balancer's image that switches tasks (see examples/haproxy-lb). */
const SWITCH_COMMAND = 'drover-lb-switch';
/** The state key of a switch under way: post puts every task back on `from` if it did not finish. */
const LB_SWITCH = 'lb-switch';
/** The switch jobs' names start so (then a run's own part, then the job's). */
const JOB_PREFIX = 'drover-lb-switch';

interface Switching {
  lb: string;
  from?: string;
  to: string;
  /** This run's switch jobs are named so: post removes any a cancel left. */
  jobs: string;
}

export async function activeStack(lb: string): Promise<string | undefined> {
  const svc = await inspectService(lb);
  if (!svc) throw new StepFailure(`Input 'lb-service': no swarm service ${lb}`, 1);
  return svc.Spec.Labels?.[ACTIVE_LABEL] || undefined;
}

/** Every running task of the balancer sends traffic to `to`, then the label says so. */
export async function switchLoadBalancer(lb: string, to: string, opts: { deadline: number; signal?: AbortSignal }): Promise<void> {
  const from = await activeStack(lb);
  const jobs = `${JOB_PREFIX}-${randomBytes(3).toString('hex')}`;
  saveState(LB_SWITCH, { lb, from, to, jobs } satisfies Switching);
  const { missed, switched } = await switchTasks(lb, to, jobs, opts);
  if (missed) {
    let undone = `no stack was active before; the tasks that switched (${switched.join(', ') || 'none'}) stay on ${to}`;
    let settled = true; // else post tries again, from the state
    if (from && !switched.length) undone = `no task had switched: every one still sends traffic to ${from}`;
    else if (from) {
      const back = await switchTasks(lb, from, jobs, { deadline: Math.max(opts.deadline, Date.now() + 60_000) }, switched);
      settled = !back.missed;
      undone = back.missed ? `putting back the tasks that had switched failed too: ${back.missed}` : `the tasks that had switched (${switched.join(', ')}) send traffic to ${from} again`;
    }
    if (settled) saveState(LB_SWITCH, null);
    throw new StepFailure(`The load balancer ${lb} did not switch to ${to}: ${missed}; ${undone}`, 1);
  }
  await updateServiceLabels(lb, { [ACTIVE_LABEL]: to }, { signal: opts.signal });
  saveState(LB_SWITCH, null);
}

/** Post: a switch that did not finish (cancelled, or the runner lost) ends with every task on the stack it came from. */
export async function settleUnfinishedSwitch(deadline: () => number): Promise<void> {
  const s = loadState<Switching | null>(LB_SWITCH);
  if (!s) return;
  const target = s.from ?? s.to;
  core.warning(`The switch of ${s.lb} to ${s.to} did not finish: switching every task to ${target}`);
  const left = await removeJobs(s.jobs);
  if (left) core.info(`Removed ${left} switch job${left === 1 ? '' : 's'} the run left`);
  const { missed } = await switchTasks(s.lb, target, s.jobs, { deadline: deadline() });
  if (missed) throw new StepFailure(`The load balancer ${s.lb} could not be put back on ${target}: ${missed}`, 1);
  if (!s.from) await updateServiceLabels(s.lb, { [ACTIVE_LABEL]: target });
  core.info(`Every task of ${s.lb} sends traffic to ${target}`);
  saveState(LB_SWITCH, null);
}

/**
 * Runs the switch job for the running tasks (those of `only`, when given): the tasks that
 * answered for `to`, and what went wrong (tasks not switched and why), if anything did.
 */
async function switchTasks(lb: string, to: string, jobs: string, opts: { deadline: number; signal?: AbortSignal }, only?: readonly string[]): Promise<{ switched: string[]; missed?: string }> {
  const svc = await inspectService(lb);
  const container = svc?.Spec.TaskTemplate.ContainerSpec;
  const volume = container?.Mounts?.find((m) => m.Target === STATE_DIR && m.Type === 'volume')?.Source;
  if (!svc || !volume) throw new StepFailure(`The load balancer ${lb} keeps no named volume at ${STATE_DIR}, where its tasks' admin sockets are (see examples/haproxy-lb)`, 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(volume)) throw new StepFailure(`The load balancer ${lb}'s state volume has a name no volume has: ${escapeLog(volume)}`, 1); // it goes into a --mount value
  if (!container!.Env?.some((e) => e.startsWith('LB_TASK={{.Task.ID}}'))) throw new StepFailure(`The load balancer ${lb} does not set LB_TASK: "{{.Task.ID}}" in its environment, by which a switch finds each task (see examples/haproxy-lb)`, 1);
  const running = (await serviceTasks(lb)).filter((t) => t.DesiredState === 'Running' && t.CurrentState.startsWith('Running') && (!only || only.includes(t.ID))).map((t) => t.ID);
  if (!running.length) return { switched: [], missed: 'it has no running task' };
  core.info(`Switching ${running.length} task${running.length === 1 ? '' : 's'} of ${lb} to ${to}: a job on every node`);
  const job = await runGlobalJob(
    { prefix: jobs, image: container!.Image, entrypoint: SWITCH_COMMAND, args: [to, ...running], volumes: [{ source: volume, target: STATE_DIR }] },
    opts,
  );
  const answered = new Set(job.lines.map((l) => /^active (\S+) ([a-z0-9]+)$/.exec(l)).filter((m) => m?.[1] === to).map((m) => m![2]));
  const switched = running.filter((id) => answered.has(id));
  const missing = running.filter((id) => !answered.has(id));
  if (!missing.length) return { switched };
  const said = job.lines.filter((l) => l.startsWith(`${SWITCH_COMMAND}:`)).slice(0, 5).map(escapeLog);
  const failed = job.tasks.filter((t) => t.state !== 'complete').map((t) => `node ${escapeLog(t.node)} ${t.state}${t.error ? `: ${t.error}` : ''}`);
  return { switched, missed: [`${missing.length} of ${running.length} tasks not switched (${missing.join(', ')})`, ...said, ...failed].join('; ') };
}

/**
 * HTTPS: the PEM (certificate then key) as a Docker secret named after its content, given to the
 * balancer as lb.pem in one update that also takes the old one away; old certificates' secrets
 * no service uses any more are removed. The balancer's tasks read it at start, so they restart.
 */
export async function useCertificate(lb: string, cert: Certificate, opts: { deadline: number; signal?: AbortSignal }): Promise<boolean> {
  const secret = await createSecret(cert.name, `${cert.cert}${cert.key}`, { signal: opts.signal });
  const svc = await inspectService(lb);
  const given = svc?.Spec.TaskTemplate.ContainerSpec.Secrets ?? [];
  if (given.some((s) => s.SecretName === secret && s.File?.Name === 'lb.pem')) return false; // already given: no restart
  const old = given.filter((s) => s.File?.Name === 'lb.pem').map((s) => s.SecretName);
  await updateService(lb, { secretRm: old, secretAdd: { source: secret, target: 'lb.pem' } }, { signal: opts.signal });
  const outcome = await waitForUpdate(lb, svc?.UpdateStatus?.StartedAt, { timeoutMs: Math.max(1, opts.deadline - Date.now()), signal: opts.signal });
  if (outcome.state !== 'completed') throw new StepFailure(`The load balancer ${lb} did not restart with the certificate: ${outcome.state}${outcome.message ? `: ${outcome.message}` : ''}`, 1);
  const ours = new RegExp(`^${cert.name.replace(/[.]/g, '\\.')}-[0-9a-f]{12}$`);
  for (const name of (await dockerLines(['secret', 'ls', '--format', '{{.Name}}'])).filter((n) => ours.test(n) && n !== secret))
    if ((await docker(['secret', 'rm', name], { silent: true })).code === 0) core.info(`Removed the secret ${name} of an earlier certificate`);
  return true;
}

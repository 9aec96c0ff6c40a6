import * as core from '@actions/core';
import { loadState, runAction, saveState } from '../../shared/action';
import * as fs from 'node:fs';
import { readContext, tempDir } from '../../shared/context';
import { useDockerHost } from '../../shared/docker';
import { login, logout } from '../../shared/registry';
import { readConfig, type Config } from './config';
import { Report, type Outcome } from './report';
import { IN_FLIGHT, type DeployTarget } from './target';

// The targets and the flows (and the YAML parser they use) load once the inputs are valid, so a bad input fails fast.

async function connectTo(cfg: Config, signal?: AbortSignal): Promise<DeployTarget> {
  if (cfg.target === 'rancher') {
    const { RancherTarget } = await import('./rancher-target');
    return new RancherTarget(cfg.rancher!, { timeoutMs: cfg.requestTimeoutMs, retries: cfg.retries, settleMs: cfg.timeoutMs, signal });
  }
  const { SwarmTarget } = await import('./swarm-target');
  return new SwarmTarget(readContext(), cfg.rollout, signal);
}

const LOGOUT = 'logout';
/** The state key of a remote engine's connection: where its files are, and the docker CLI's environment (no secret in it). */
const REMOTE = 'remote-engine';

/** Swarm from off the cluster (SSH, or TCP with TLS): every docker call goes to swarm-host from here on (post restores it from the state). */
async function reachSwarm(cfg: Config, signal: AbortSignal): Promise<void> {
  if (!cfg.swarmSsh && !cfg.swarmTls) return;
  const dir = tempDir(readContext(), cfg.swarmSsh ? 'ssh' : 'tls');
  saveState(REMOTE, { dir, env: {} });
  const opts = { timeoutMs: cfg.requestTimeoutMs, signal };
  let env: Record<string, string>;
  if (cfg.swarmSsh) {
    const { sshDockerHost } = await import('../../shared/ssh');
    env = await sshDockerHost(dir, cfg.swarmSsh.host, cfg.swarmSsh.key, cfg.swarmSsh.knownHosts, opts);
  } else {
    const { tlsDockerHost } = await import('../../shared/docker-tls');
    env = await tlsDockerHost(dir, cfg.swarmTls!.host, cfg.swarmTls!, opts);
  }
  saveState(REMOTE, { dir, env });
  useDockerHost(env);
  const ssh = cfg.swarmSsh?.host;
  core.info(ssh ? `Swarm manager ${ssh.host}:${ssh.port} over SSH as ${ssh.user}` : `Swarm manager's engine ${cfg.swarmTls!.host.host}:${cfg.swarmTls!.host.port} over TLS`);
}

async function main(signal: AbortSignal): Promise<void> {
  const cfg = readConfig(readContext().workspace);
  if (cfg.target === 'rancher' && cfg.action === 'deploy' && cfg.dockerCompose) {
    // A stack Rancher's executor would refuse is refused here, before any request.
    const { toRancherDialect } = await import('./rancher-dialect');
    toRancherDialect(cfg.dockerCompose, cfg.rancherCompose, { composeFile: cfg.composeFile, rancherComposeFile: cfg.rancherComposeFile, variables: cfg.variables, image: cfg.image, services: cfg.services, withoutLb: false, lbImage: 'lb' });
  }
  await reachSwarm(cfg, signal);
  const target = await connectTo(cfg, signal);
  if (cfg.registryLogin) {
    const { registry, username, password } = cfg.registryLogin;
    saveState(LOGOUT, registry);
    await login(registry, username, password, { retries: cfg.retries, timeoutMs: cfg.requestTimeoutMs, signal });
  }
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

async function run(t: DeployTarget, cfg: Config, report: Report, signal: AbortSignal): Promise<Outcome> {
  if (cfg.strategy === 'blue-green' && cfg.action !== 'confirm') {
    const { blueGreenDeploy, blueGreenRollback } = await import('./blue-green');
    return cfg.action === 'deploy' ? blueGreenDeploy(t, cfg, report, signal) : blueGreenRollback(t, cfg, report);
  }
  const { rollingConfirm, rollingDeploy, rollingRollback } = await import('./rolling');
  return { deploy: rollingDeploy, confirm: rollingConfirm, rollback: rollingRollback }[cfg.action](t, cfg, report);
}

/** A cancelled deploy: services still mid-upgrade go back to the old version, a load balancer switched part-way to the stack it came from; never half-way. */
async function post(): Promise<void> {
  const inFlight = loadState<{ stack: string; services: string[] } | null>(IN_FLIGHT);
  const registry = loadState<string>(LOGOUT);
  const remote = loadState<{ dir: string; env: Record<string, string> } | null>(REMOTE);
  if (remote) useDockerHost(remote.env);
  try {
    if (inFlight) await rollBackInFlight(inFlight);
    const { settleUnfinishedSwitch } = await import('./swarm-lb'); // a swarm switch's state: none on Rancher
    await settleUnfinishedSwitch(() => Date.now() + readConfig(readContext().workspace).timeoutMs);
  } finally {
    try {
      if (registry) await logout(registry);
    } finally {
      if (remote) {
        const { closeSsh } = await import('../../shared/ssh');
        await closeSsh(remote.dir, remote.env.DOCKER_HOST);
        fs.rmSync(remote.dir, { recursive: true, force: true }); // the key with it
      }
    }
  }
}

async function rollBackInFlight(inFlight: { stack: string; services: string[] }): Promise<void> {
  const cfg = readConfig(readContext().workspace);
  const target = await connectTo(cfg);
  await target.connect();
  for (const service of inFlight.services) {
    const s = await target.status(inFlight.stack, service);
    if (!s || s.state === 'active') continue;
    core.warning(`${service} was left ${s.state} by a deploy that did not finish: rolling back`);
    await target.rollback(inFlight.stack, service, Date.now() + cfg.timeoutMs);
    core.info(`${service} runs ${(await target.status(inFlight.stack, service))?.image ?? '?'} again`);
  }
  saveState(IN_FLIGHT, null);
}

void runAction(main, post);

/**
 * One run's Compose environment: its own project, started, waited for, its logs kept on failure,
 * and torn down in main or, whatever happened to main, in post.
 */
import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadState, saveState } from '../../shared/action';
import { releaseUrl } from '../../shared/cli-plugin';
import { Compose, detectFlavor, writeEnvFile, type ComposeModel, type ComposeProject } from '../../shared/compose';
import { tempDir, type RunnerContext } from '../../shared/context';
import { escapeLog } from '../../shared/exec';
import { InputError } from '../../shared/inputs';
import type { Config } from './config';
import { rewritePorts } from './ports';
import { endpoints, projectName, type Endpoints } from './project';
import { waitForPort, waitUntilReady } from './readiness';

interface Saved extends ComposeProject {
  down?: boolean;
}

export class Environment {
  /** Time from `up` to ready (every service and wait-for), 0 until then. */
  readyMs = 0;

  private constructor(
    readonly compose: Compose,
    readonly model: ComposeModel,
    /** The services that must be ready. */
    readonly services: string[],
    private readonly workDir: string,
  ) {}

  /** Reads the model, checks the inputs against it, and saves what post needs; starts nothing. */
  static async prepare(cfg: Config, ctx: RunnerContext): Promise<Environment> {
    const flavor = await detectFlavor(cfg.composeVersion, {
      version: cfg.composePlugin.version,
      url: cfg.composePlugin.url || releaseUrl('compose', cfg.composePlugin.version),
    });
    const project =
      cfg.projectName || projectName({ repository: ctx.repository, job: ctx.job, runId: ctx.runId, attempt: ctx.runAttempt, instance: cfg.instance });
    const workDir = tempDir(ctx, `compose-itest-${project}`);
    const envFile = Object.keys(cfg.env).length ? writeEnvFile(workDir, cfg.env) : undefined;
    let compose = new Compose({ flavor, project, files: cfg.files, cwd: cfg.root, envFile });
    const model = await compose.config();
    const services = servicesToWaitFor(cfg, model);
    if (cfg.rewritePorts) {
      const { model: rewritten, rewrites } = rewritePorts(model);
      const file = path.join(workDir, 'compose.json');
      fs.writeFileSync(file, JSON.stringify(rewritten, null, 2));
      for (const r of rewrites) core.info(`${r.service}: port ${r.from} published as ${r.to} (a free host port)`);
      compose = compose.withFiles([file]);
    }
    saveState('compose', compose.where satisfies Saved);
    core.info(`Compose ${flavor}, project ${project}`);
    return new Environment(compose, model, services, workDir);
  }

  /** Starts the services and waits until they and every wait-for answer; returns where they listen. */
  async start(cfg: Pick<Config, 'build' | 'pull' | 'waitTimeoutSeconds' | 'waitFor'>, signal: AbortSignal): Promise<Endpoints> {
    const started = Date.now();
    const deadline = started + cfg.waitTimeoutSeconds * 1000;
    await this.compose.up(this.services, { build: cfg.build, pull: cfg.pull }, { signal, timeoutMs: cfg.waitTimeoutSeconds * 1000 + 600_000 });
    const found = endpoints(await waitUntilReady(this.compose, this.services, deadline, signal));
    for (const w of cfg.waitFor) {
      const endpoint = found.byService[w.service]?.[w.port];
      if (!endpoint) throw new Error(`wait-for: ${w.service} publishes no port ${w.port}`);
      await waitForPort(w, endpoint, deadline, signal);
    }
    this.readyMs = Date.now() - started;
    return found;
  }

  /** Every service's state, then its logs, one group each, also saved as files; returns their folder. */
  async saveLogs(): Promise<string> {
    const dir = path.join(this.workDir, 'logs');
    fs.mkdirSync(dir, { recursive: true });
    const ps = await this.compose.containers();
    for (const c of ps) core.info(`${c.service}: ${c.status}${c.health ? ` (${c.health})` : ''}, exit code ${c.exitCode}`);
    for (const service of Object.keys(this.model.services)) {
      if (!ps.some((c) => c.service === service)) continue;
      fs.writeFileSync(path.join(dir, `${service}.log`), `${await this.compose.logs(service, { group: `Logs of ${service}` })}\n`);
    }
    return dir;
  }

  /** Tears the project down, or with `keep` leaves it to the post step. */
  async end(keep: boolean, downTimeoutSeconds: number): Promise<void> {
    if (keep) {
      core.warning(`keep-on-failure: project ${this.compose.project} is left running until the post step`);
      return;
    }
    await tearDown(this.compose, downTimeoutSeconds);
    saveState('compose', { ...this.compose.where, down: true } satisfies Saved);
  }

  /** Post: whatever main left (a failed, cancelled or killed run, or keep-on-failure) is removed. */
  static async cleanUpAfter(): Promise<void> {
    const saved = loadState<Saved>('compose');
    if (!saved || saved.down) return;
    const compose = new Compose(saved);
    await tearDown(compose, 0);
    const left = await compose.sweep();
    if (left) core.info(`Removed ${left} leftover resource(s) of ${saved.project}`);
  }
}

async function tearDown(compose: Compose, timeoutSeconds: number): Promise<void> {
  const res = await compose.down(timeoutSeconds);
  if (res.code !== 0) core.warning(`Tearing down ${compose.project} failed: ${escapeLog(res.tail.at(-1) ?? '')}`);
}

/** The services to wait for; unknown names in inputs fail here, before anything starts. */
function servicesToWaitFor(cfg: Config, model: ComposeModel): string[] {
  const known = Object.keys(model.services ?? {});
  const unknown = (name: string, value: string) => {
    if (!known.includes(value)) throw new InputError(name, value, `a service of the compose files: ${known.join(', ')}`);
  };
  cfg.services.forEach((s) => unknown('services', s));
  if (cfg.testService) unknown('test-service', cfg.testService);
  cfg.waitFor.forEach((w) => unknown('wait-for', w.service));
  cfg.checks.forEach((c) => unknown('checks', c.service));
  if (cfg.services.length) return cfg.services;
  return known.filter((s) => s !== cfg.testService && !model.services[s]?.profiles?.length);
}

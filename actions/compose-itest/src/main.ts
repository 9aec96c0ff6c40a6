import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAction, saveState, loadState, StepFailure } from '../../shared/action';
import { releaseUrl } from '../../shared/cli-plugin';
import { run } from '../../shared/exec';
import { InputError } from '../../shared/inputs';
import { writeSummary, seconds } from '../../shared/summary';
import { Compose, detectFlavor, sweep, type ComposeModel, type Flavor } from './compose';
import { readConfig, type Config } from './config';
import { runChecks } from './checks';
import { rewritePorts } from './ports';
import { endpoints, projectName } from './project';
import { waitForPort, waitUntilReady } from './readiness';

interface Saved {
  flavor: Flavor;
  project: string;
  files: string[];
  cwd: string;
  down?: boolean;
}

async function main(signal: AbortSignal): Promise<void> {
  const cfg = await readConfig();
  const flavor = await detectFlavor(cfg.composeVersion, {
    version: cfg.composePlugin.version,
    url: cfg.composePlugin.url || releaseUrl('compose', cfg.composePlugin.version),
  });
  const project = cfg.projectName || projectName({
    repository: process.env.GITHUB_REPOSITORY ?? '',
    job: process.env.GITHUB_JOB ?? '',
    runId: process.env.GITHUB_RUN_ID ?? '',
    attempt: process.env.GITHUB_RUN_ATTEMPT ?? '',
    instance: cfg.instance,
  });
  const workDir = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), `compose-itest-${project}-`));
  let compose = new Compose(flavor, project, cfg.files, cfg.env, cfg.root);
  const model = await compose.config();
  const expected = checkServices(cfg, model);
  if (cfg.rewritePorts) {
    const { model: rewritten, rewrites } = rewritePorts(model);
    const file = path.join(workDir, 'compose.json');
    fs.writeFileSync(file, JSON.stringify(rewritten, null, 2));
    for (const r of rewrites) core.info(`${r.service}: port ${r.from} published as ${r.to} (a free host port)`);
    compose = new Compose(flavor, project, [file], cfg.env, cfg.root);
  }
  const saved: Saved = { flavor, project, files: [...compose.files], cwd: cfg.root };
  saveState('compose', saved);
  core.setOutput('project-name', project);
  core.info(`Compose ${flavor}, project ${project}`);

  const started = Date.now();
  let outcome = 'not run';
  let failed = true;
  let readyMs = 0;
  try {
    await up(compose, cfg, expected, signal);
    const containers = await waitUntilReady(compose, expected, started + cfg.waitTimeoutSeconds * 1000, signal);
    const found = endpoints(containers);
    for (const w of cfg.waitFor) {
      const endpoint = found.byService[w.service]?.[w.port];
      if (!endpoint) throw new Error(`wait-for: ${w.service} publishes no port ${w.port}`);
      await waitForPort(w, endpoint, started + cfg.waitTimeoutSeconds * 1000, signal);
    }
    readyMs = Date.now() - started;
    core.info(`Ready in ${seconds(readyMs)}`);
    core.setOutput('endpoints', JSON.stringify(found.byService));
    for (const [k, v] of Object.entries(found.env)) core.info(`${k}=${v}`);

    outcome = await runTests(cfg, compose, found, signal);
    failed = false;
  } catch (err) {
    outcome = (err as Error).message.split('\n')[0]!;
    const logsPath = await saveLogs(compose, model, workDir);
    core.setOutput('logs-path', logsPath);
    throw err;
  } finally {
    if (!(failed && cfg.keepOnFailure)) {
      await down(compose, cfg.downTimeoutSeconds);
      saveState('compose', { ...saved, down: true });
    } else core.warning(`keep-on-failure: project ${project} is left running until the post step`);
    core.setOutput('outcome', failed ? 'failure' : 'success');
    await writeSummary('compose-itest', [
      ['Project', `\`${project}\` (Compose ${flavor})`],
      ['Services', Object.entries(model.services).map(([name, s]) => `${name}: \`${String(s.image ?? 'built')}\``).join('<br>')],
      ['Time to ready', readyMs ? seconds(readyMs) : 'not ready'],
      ['Tests', outcome],
    ]);
  }
}

/** The services to wait for; unknown names in inputs fail here, before anything starts. */
function checkServices(cfg: Config, model: ComposeModel): string[] {
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

async function up(compose: Compose, cfg: Config, services: string[], signal: AbortSignal): Promise<void> {
  const args = ['up', '-d', cfg.build ? '--build' : '--no-build'];
  if (compose.flavor === 'v2') args.push('--pull', cfg.pull);
  else if (cfg.pull === 'always') await compose.ok(['pull', ...services], { group: 'Pull images', signal });
  await compose.ok([...args, ...services], { group: `Start ${compose.project}`, signal, timeoutMs: cfg.waitTimeoutSeconds * 1000 + 600_000, what: 'Starting the environment' });
}

async function runTests(cfg: Config, compose: Compose, found: ReturnType<typeof endpoints>, signal: AbortSignal): Promise<string> {
  const timeoutMs = cfg.testTimeoutMinutes * 60_000;
  const results: string[] = [];
  if (cfg.testService) {
    const res = await compose.run(['run', '--rm', '-T', cfg.testService], { group: `Test service ${cfg.testService}`, signal, timeoutMs });
    if (res.code !== 0) throw new StepFailure(`The test service ${cfg.testService} failed (exit code ${res.code}):\n${res.tail.slice(-10).join('\n')}`, res.code || 1);
    results.push(`test service ${cfg.testService} passed`);
  }
  if (cfg.run) {
    const res = await run('bash', ['-e', '-o', 'pipefail', '-c', cfg.run], {
      cwd: cfg.root,
      env: { ...cfg.env, ...found.env, COMPOSE_PROJECT_NAME: compose.project },
      group: 'Tests',
      signal,
      timeoutMs,
    });
    if (res.code !== 0) {
      const lines = res.failures.length ? res.failures : res.tail.slice(-10);
      throw new StepFailure(`The tests failed (exit code ${res.code}):\n${lines.join('\n')}`, res.code || 1);
    }
    results.push('tests passed');
  }
  if (cfg.checks.length) {
    core.startGroup('HTTP checks');
    const failure = await runChecks(cfg.checks, (s, p) => found.byService[s]?.[p], core.info).finally(() => core.endGroup());
    if (failure) throw new Error(`HTTP check failed: ${failure}`);
    results.push(`${cfg.checks.length} HTTP checks passed`);
  }
  return results.join(', ') || 'no tests given: the environment came up';
}

/** Every service's logs, one group each, also saved as files; returns their folder. */
async function saveLogs(compose: Compose, model: ComposeModel, workDir: string): Promise<string> {
  const dir = path.join(workDir, 'logs');
  fs.mkdirSync(dir, { recursive: true });
  const ps = await compose.containers();
  for (const c of ps) core.info(`${c.service}: ${c.status}${c.health ? ` (${c.health})` : ''}, exit code ${c.exitCode}`);
  for (const service of Object.keys(model.services)) {
    if (!ps.some((c) => c.service === service)) continue;
    const res = await compose.run(['logs', '--no-color', '--timestamps', service], { group: `Logs of ${service}`, tailLines: 1, capture: true });
    fs.writeFileSync(path.join(dir, `${service}.log`), `${res.stdout}\n`);
  }
  return dir;
}

async function down(compose: Compose, timeoutSeconds: number): Promise<void> {
  // Every profile: a service started by name from a profile is removed too.
  const res = await compose.run(['down', '--volumes', '--remove-orphans', '-t', String(timeoutSeconds)], {
    group: `Tear down ${compose.project}`,
    timeoutMs: 300_000,
    env: { COMPOSE_PROFILES: '*' },
  });
  if (res.code !== 0) core.warning(`Tearing down ${compose.project} failed: ${res.tail.at(-1) ?? ''}`);
}

/** Whatever main left (a failed, cancelled or killed run, or keep-on-failure), post removes. */
async function post(): Promise<void> {
  const saved = loadState<Saved>('compose');
  if (!saved || saved.down) return;
  await down(new Compose(saved.flavor, saved.project, saved.files, {}, saved.cwd), 0);
  const left = await sweep(saved.project);
  if (left) core.info(`Removed ${left} leftover resource(s) of ${saved.project}`);
}

void runAction(main, post);

/**
 * The job loop: jobs in `needs` order, each in a fresh runner (workspace, temp, home) through the
 * harness; `run:` steps and Drover's actions (`<actions-repo>/actions/<name>@<ref>` →
 * actions/<name>) as the runner user, with GITHUB_ENV, GITHUB_PATH and GITHUB_OUTPUT carried
 * between steps and post steps in reverse order; the contexts, secrets, environments and the
 * stand-ins for the actions it does locally.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { commitOf } from '../checkout.ts';
import { Job, manifest, type StepResult } from '../harness.ts';
import { environmentSettings, githubContext, inputsContext, secretsContext } from './contexts.ts';
import { asString, evaluate, evaluateTemplate, isTrue, minutes, stringMap, tokenValue, truthy } from './expressions.ts';
import { fromEnvFile, withoutSecrets } from './file-commands.ts';
import { loadWorkflow, topological } from './load.ts';
import { RunLog, summaryText } from './log.ts';
import { type Host } from './stand-ins.ts';
import { runStep, type Post } from './step.ts';
import { defaultBranchPlaceholder, eventsOf, pushTriggers } from './triggers.ts';
import { UnsupportedError, type Contexts, type JobRun, type JobToken, type RawWorkflow, type Result, type RunOptions, type Status, type StepRun, type Token, type WorkflowRun } from './types.ts';


export class WorkflowRunner {
  /** The workflow file's text, its YAML (for what the converted template drops) and its events. */
  private readonly source: string;
  private readonly raw: RawWorkflow;
  private readonly on: Record<string, unknown> | undefined;
  private readonly opts: RunOptions;
  private readonly out: RunLog;
  readonly dir: string;
  private readonly runId = String(Math.floor(Math.random() * 1e9));
  private sha = '';

  /** What the stand-ins may use of the runner: its options, folder, log and masks. */
  private get host(): Host {
    return { opts: this.opts, dir: this.dir, log: (l) => this.log(l), mask: (v) => this.out.mask(v) };
  }

  constructor(opts: RunOptions) {
    this.opts = opts;
    this.out = new RunLog(opts.onLog);
    this.source = fs.readFileSync(opts.workflow, 'utf8');
    this.raw = parseYaml(this.source) as RawWorkflow;
    this.on = eventsOf(this.raw.on);
    this.dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'drover-run-'));
    fs.mkdirSync(path.join(this.dir, 'artifacts'), { recursive: true });
    for (const s of Object.values(opts.secrets ?? {})) this.out.mask(s);
    for (const env of Object.values(opts.environments ?? {})) for (const s of Object.values(env.secrets ?? {})) this.out.mask(s);
  }

  log(line: string): void {
    this.out.log(line);
  }

  /** Parses, checks what it supports, then runs the jobs. */
  async run(): Promise<WorkflowRun> {
    const started = Date.now();
    const template = await loadWorkflow(this.opts, this.source, this.raw);
    const on = this.on;
    const placeholder = this.opts.event === 'push' ? defaultBranchPlaceholder(on) : undefined;
    if (placeholder) this.log(`warning: ${placeholder}`);
    const triggered = this.opts.event === 'push' ? pushTriggers(on, this.opts.ref) : Boolean(on && this.opts.event in on);
    if (!triggered) return { triggered, result: 'skipped', jobs: [], outputs: {}, ms: 0, log: this.out.text(), dir: this.dir };
    const inputs = inputsContext(this.opts, on);
    secretsContext(this.opts, on); // a called workflow's required secrets, before any job
    this.sha = commitOf(this.opts.remote, this.opts.ref);

    const jobs = template.jobs as unknown as JobToken[];
    const results = new Map<string, JobRun>();
    const order = topological(jobs);
    try {
      for (const job of order) {
        const run = await this.runJob(job, template, inputs, results);
        results.set(run.id, run);
        this.opts.onJob?.(run);
      }
    } finally {
      fs.writeFileSync(path.join(this.dir, 'log.txt'), `${this.out.text()}\n`);
    }
    const all = [...results.values()];
    // A job with continue-on-error fails alone: the run passes (workflow syntax, jobs.<job_id>.continue-on-error)
    const counts = (j: JobRun) => !(j.result === 'failure' && this.continuesOnError(j.id, inputs));
    const result: Result = all.some((j) => j.result === 'failure' && counts(j)) ? 'failure' : all.some((j) => j.result === 'cancelled') ? 'cancelled' : 'success';
    const outputs = this.callOutputs(on, results, inputs);
    const log = this.out.text();
    return { triggered, result, jobs: all, outputs, ms: Date.now() - started, log, dir: this.dir };
  }

  private continuesOnError(job: string, inputs: Record<string, unknown>): boolean {
    const value = this.raw.jobs[job]?.['continue-on-error'];
    if (typeof value === 'boolean') return value;
    if (typeof value !== 'string') return false;
    return truthy(evaluate(value.replace(/^\$\{\{\s*|\s*\}\}$/g, ''), { inputs, vars: this.opts.vars ?? {}, github: this.github(inputs, job, '') } as Contexts, { success: true, failure: false, cancelled: false }));
  }

  private github(inputs: Record<string, unknown>, jobId: string, workspace: string): Record<string, unknown> {
    return githubContext(this.opts, { sha: this.sha, runId: this.runId }, inputs, jobId, workspace);
  }

  private async runJob(job: JobToken, template: { env: Token; concurrency: Token }, inputs: Record<string, unknown>, done: Map<string, JobRun>): Promise<JobRun> {
    const id = String(job.id.value);
    const started = Date.now();
    const needs = (job.needs ?? []).map((n) => String(n.value));
    const needsCtx = Object.fromEntries(needs.map((n) => [n, { result: done.get(n)!.result, outputs: done.get(n)!.outputs }]));
    const needResults = needs.map((n) => done.get(n)!.result);
    const status: Status = {
      success: needResults.every((r) => r === 'success'),
      failure: needResults.some((r) => r === 'failure'),
      cancelled: needResults.some((r) => r === 'cancelled'),
    };
    const on = this.on;
    const base: Contexts = { github: this.github(inputs, id, ''), inputs, vars: { ...(this.opts.vars ?? {}) }, needs: needsCtx };
    const name = job.name ? asString(tokenValue(job.name, base)) : id;
    const skipped = (reason?: string): JobRun => ({ id, name, result: 'skipped', ms: 0, outputs: {}, steps: [], summary: '', reason });
    if (!isTrue(job.if, base, status)) {
      this.log(`[${id}] skipped (if)`);
      return skipped();
    }
    const envToken = job.environment as Token | undefined;
    const envValue = envToken && tokenValue(envToken, base);
    const environment = envValue === undefined ? undefined : asString(typeof envValue === 'object' && envValue ? (envValue as { name?: unknown }).name : envValue);
    // GitHub matches environment names case-insensitively (`Production` is `production`)
    const settings = environment ? environmentSettings(this.opts, environment) : undefined;
    if (settings?.approval && !(this.opts.approve ?? []).some((e) => e.toLowerCase() === environment!.toLowerCase())) {
      const reason = `environment '${environment}' requires an approval that was not given (approve it: --approve ${environment})`;
      this.log(`[${id}] ${reason}`);
      return { ...skipped(reason), result: 'failure', environment };
    }

    const runner = new Job();
    try {
      const vars = { ...(this.opts.vars ?? {}), ...(settings?.vars ?? {}) };
      const secrets = secretsContext(this.opts, on, environment);
      for (const s of Object.values(secrets)) if (s) this.out.mask(s);
      const ctx: Contexts = {
        ...base,
        github: this.github(inputs, id, runner.workspace),
        vars,
        secrets,
        env: {},
        steps: {},
        job: { status: 'success' },
        runner: { os: 'Linux', arch: 'X64', name: 'drover-local', temp: runner.temp, tool_cache: runner.toolCache },
        strategy: {},
        matrix: {},
      };
      const env: Record<string, string> = {};
      Object.assign(env, stringMap(template.env, ctx));
      ctx.env = { ...env };
      Object.assign(env, stringMap(job.env, ctx));
      ctx.env = { ...env };
      for (const c of [template.concurrency, job.concurrency as Token | undefined]) {
        const group = c && tokenValue(c, ctx);
        if (group) this.log(`[${id}] concurrency group ${asString(typeof group === 'object' ? (group as { group?: unknown }).group : group)}`);
      }

      const raw = this.raw.jobs[id]!;
      const deadline = started + minutes(raw['timeout-minutes'], ctx, `job ${id}`) * 60_000;
      const steps: StepRun[] = [];
      const posts: Post[] = [];
      let jobStatus: Result = 'success';
      const extraPath: string[] = [];
      let summary = '';
      this.log(`[${id}] started${environment ? ` in environment ${environment}` : ''}`);
      for (const [i, step] of (job.steps ?? []).entries()) {
        const rawStep = raw.steps![i]!;
        const stepStatus: Status = { success: jobStatus === 'success', failure: jobStatus === 'failure', cancelled: false };
        const stepId = step.id;
        const label = step.name ? asString(tokenValue(step.name, ctx)) : 'uses' in step ? String(step.uses.value) : `Run ${String(rawStep.run).split('\n')[0]}`;
        const record: StepRun = { name: label, id: stepId, outcome: 'skipped', conclusion: 'skipped', ms: 0, outputs: {} };
        steps.push(record);
        if (!isTrue(step.if, ctx, stepStatus)) {
          this.log(`[${id}] - ${label}: skipped`);
          (ctx.steps as Record<string, unknown>)[stepId] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
          continue;
        }
        const t0 = Date.now();
        const stepEnv = { ...env, ...stringMap(step.env, ctx) };
        const processEnv = this.processEnv(runner, ctx, stepEnv, extraPath);
        let result: StepResult | undefined;
        let failed = false;
        try {
          const remaining = Math.min(deadline, t0 + minutes(rawStep['timeout-minutes'], { ...ctx, env: stepEnv }, `step ${label}`) * 60_000) - t0;
          const ran = await runStep({ step, rawStep, defaults: [raw.defaults, this.raw.defaults], runner, ctx: { ...ctx, env: stepEnv }, processEnv, remainingMs: remaining, actionsRepo: this.opts.actionsRepo ?? 'acme/drover', job: id, stepId, record, posts, label, env, permissions: raw.permissions, host: this.host, actionInputs: (action, given) => this.actionInputs(action, given, { ...ctx, env: stepEnv }, id) });
          result = ran.result;
          failed = ran.failed;
        } catch (err) {
          if (err instanceof UnsupportedError) throw err;
          this.log(`[${id}] - ${label}: ${(err as Error).message}`);
          failed = true;
        }
        if (result) {
          this.out.step(id, result);
          failed = result.exitCode !== 0 || result.timedOut === true;
          if (result.timedOut) this.log(`[${id}] - ${label}: timed out, its processes killed`);
          Object.assign(env, fromEnvFile((l) => this.log(l), id, result.env));
          for (const [file, text] of Object.entries(result.files)) if (file.startsWith('add_path_')) extraPath.unshift(...text.split('\n').filter(Boolean).reverse());
          summary += result.summary;
          record.outputs = result.outputs;
          record.step = result;
        }
        const coe = step['continue-on-error'];
        const continueOnError = typeof coe === 'boolean' ? coe : coe !== undefined && isTrue(coe, ctx, stepStatus);
        record.outcome = failed ? 'failure' : 'success';
        record.conclusion = failed && continueOnError ? 'success' : record.outcome;
        record.ms = Date.now() - t0;
        (ctx.steps as Record<string, unknown>)[stepId] = { outputs: record.outputs, outcome: record.outcome, conclusion: record.conclusion };
        ctx.env = { ...env };
        if (record.conclusion === 'failure') {
          jobStatus = 'failure';
          ctx.job = { status: 'failure' };
        }
        this.log(`[${id}] - ${label}: ${record.outcome} in ${(record.ms / 1000).toFixed(1)} s`);
      }
      for (const post of posts.reverse()) {
        const postIf = manifest(post.action).runs['post-if'] ?? 'always()';
        if (!truthy(evaluate(postIf.replace(/^\$\{\{\s*|\s*\}\}$/g, ''), ctx, { success: jobStatus === 'success', failure: jobStatus === 'failure', cancelled: false }))) continue;
        const t0 = Date.now();
        const result = (await runner.post(post.action, post.main, { with: post.with, env: post.env }))!;
        this.out.step(id, result);
        summary += result.summary;
        const ok = result.exitCode === 0;
        if (!ok) jobStatus = 'failure';
        steps.push({ name: `Post ${post.name}`, id: '', outcome: ok ? 'success' : 'failure', conclusion: ok ? 'success' : 'failure', ms: Date.now() - t0, outputs: {}, step: result });
        this.log(`[${id}] - Post ${post.name}: ${ok ? 'success' : 'failure'}`);
      }
      const outputs = withoutSecrets((l) => this.log(l), id, stringMap(job.outputs, ctx), this.out.masks);
      const ms = Date.now() - started;
      this.log(`[${id}] ${jobStatus} in ${(ms / 1000).toFixed(1)} s`);
      // a failed job says which step failed and why (its errors, or its last lines), masked
      const failedStep = jobStatus === 'failure' ? steps.find((st) => st.outcome === 'failure' && st.conclusion === 'failure') : undefined;
      const why = failedStep?.step?.errors.length ? failedStep.step.errors : `${failedStep?.step?.stdout ?? ''}${failedStep?.step?.stderr ?? ''}`.split('\n').filter(Boolean).slice(-5);
      const failure = failedStep ? [`step '${this.out.shown(failedStep.name)}' failed${why.length ? ':' : ''}`, ...why.map((l) => `  ${this.out.shown(l)}`)] : undefined;
      // what GitHub shows on the run's page: the annotations, and the job summary
      const annotations = steps
        .flatMap((st) => st.step?.commands ?? [])
        .filter((c) => ['error', 'warning', 'notice'].includes(c.command))
        .map((c) => this.out.shown(`${c.command[0]!.toUpperCase()}${c.command.slice(1)}${c.properties.file ? ` ${c.properties.file}${c.properties.line ? `:${c.properties.line}` : ''}` : ''}${c.properties.title ? ` (${c.properties.title})` : ''}: ${c.message}`));
      for (const a of annotations) this.log(`[${id}] annotation: ${a}`);
      for (const line of summaryText(summary)) this.log(`[${id}] summary: ${line}`);
      return { id, name, result: jobStatus, ms, outputs, steps, summary, environment, failure, annotations };
    } finally {
      runner.keepIn(path.join(this.dir, 'jobs', id));
    }
  }

  /** Declared inputs: `with:` over the defaults (evaluated); an undeclared one warned about, as the runner does. */
  private actionInputs(action: string, given: Record<string, string>, ctx: Contexts, job: string): Record<string, string> {
    const declared = manifest(action).inputs ?? {};
    const unexpected = Object.keys(given).filter((k) => !(k in declared));
    if (unexpected.length) this.log(`[${job}] Warning: Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${Object.keys(declared).join("', '")}']`);
    for (const k of Object.keys(given)) {
      const message = (declared[k] as { deprecationMessage?: string } | undefined)?.deprecationMessage;
      if (message) this.log(`[${job}] Warning: Input '${k}' has been deprecated with message: ${message}`);
    }
    const out: Record<string, string> = {};
    for (const [k, spec] of Object.entries(declared)) out[k] = k in given ? given[k]! : spec.default === undefined ? '' : evaluateTemplate(asString(spec.default), ctx);
    return { ...out, ...given };
  }

  private processEnv(runner: Job, ctx: Contexts, env: Record<string, string>, extraPath: string[]): Record<string, string> {
    const gh = ctx.github as Record<string, string>;
    const eventPath = path.join(runner.temp, 'event.json');
    if (!fs.existsSync(eventPath)) fs.writeFileSync(eventPath, JSON.stringify(gh.event)); // once per job: the event does not change
    return {
      ...env,
      PATH: [...extraPath, process.env.PATH ?? '/usr/bin:/bin'].join(':'),
      GITHUB_EVENT_NAME: gh.event_name!,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REF: gh.ref!,
      GITHUB_REF_NAME: gh.ref_name!,
      GITHUB_REF_TYPE: gh.ref_type!,
      GITHUB_SHA: gh.sha!,
      GITHUB_REPOSITORY: gh.repository!,
      GITHUB_REPOSITORY_OWNER: gh.repository_owner!,
      GITHUB_RUN_ID: gh.run_id!,
      GITHUB_RUN_NUMBER: gh.run_number!,
      GITHUB_JOB: gh.job!,
      GITHUB_WORKFLOW: path.basename(this.opts.workflow),
      GITHUB_ACTOR: gh.actor!,
    };
  }

  private callOutputs(on: Record<string, unknown> | undefined, jobs: Map<string, JobRun>, inputs: Record<string, unknown>): Record<string, string> {
    const specs = ((on?.workflow_call as { outputs?: Record<string, { value?: string }> } | undefined)?.outputs ?? {}) as Record<string, { value?: string }>;
    const ctx: Contexts = { jobs: Object.fromEntries([...jobs].map(([k, j]) => [k, { result: j.result, outputs: j.outputs }])), inputs, vars: this.opts.vars ?? {}, github: this.github(inputs, '', '') };
    return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, evaluateTemplate(asString(s?.value), ctx)]));
  }
}

/**
 * A local workflow runner: runs a workflow file's jobs on this machine the way GitHub's runner
 * would, for the templates' end-to-end tests and the demo. Built on @actions/workflow-parser (the
 * schema, `needs`, `if`, every job and step key) and @actions/expressions (with the status
 * functions the library leaves to the runner). Jobs run one at a time in `needs` order, each in
 * a fresh runner (workspace, temp, home) through the harness; `run:` steps and Drover's actions
 * (`<actions-repo>/actions/<name>@<ref>` → actions/<name>) run as the runner user with GITHUB_ENV,
 * GITHUB_PATH and GITHUB_OUTPUT carried between steps and post steps in reverse order;
 * actions/checkout and the artifact actions are done locally. What it does not do (a matrix,
 * `services:`, `container:`, reusable-workflow jobs, other actions, other shells) is refused by
 * name before anything runs.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { registerHooks } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { checkoutLikeActions } from './checkout.ts';
import { Job, ROOT, manifest, type StepResult } from './harness.ts';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import type { data as Data } from '@actions/expressions';

// @actions/workflow-parser imports its JSON schema without `with {type: 'json'}`, which Node refuses.
if (!process.env.VITEST)
  registerHooks({
    resolve(specifier, context, next) {
      const r = next(specifier, context);
      return r.url.endsWith('.json') && !context.importAttributes.type ? { ...r, importAttributes: { ...context.importAttributes, type: 'json' } } : r;
    },
  });
const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import('@actions/workflow-parser');
const { Evaluator, Lexer, Parser, data } = await import('@actions/expressions');
const { truthy } = await import('@actions/expressions/result');

export type Result = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface EnvironmentSettings {
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** A required reviewer: the job runs only when the environment is in `approve`. */
  approval?: boolean;
}

export interface RunOptions {
  /** The workflow file. */
  workflow: string;
  event: 'push' | 'workflow_dispatch' | 'workflow_call';
  /** refs/heads/<b> or refs/tags/<t>: the pushed ref, or the branch a dispatch runs on. */
  ref: string;
  /** The repository (a bare repository's path) that actions/checkout clones. */
  remote: string;
  repository?: string;
  defaultBranch?: string;
  inputs?: Record<string, string | boolean | number>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  environments?: Record<string, EnvironmentSettings>;
  approve?: string[];
  /** The owner/repo whose `actions/<name>` are this checkout's actions. */
  actionsRepo?: string;
  /** What the stand-in for aws-actions/configure-aws-credentials gives for a role assumed with OIDC (the test bed's credentials). */
  awsCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  runNumber?: number;
  /** Where artifacts and logs go; a fresh folder when not given. */
  dir?: string;
  /** Told each job's result as it ends. */
  onJob?: (job: JobRun) => void;
  /** Told each log line (masked, escaped). */
  onLog?: (line: string) => void;
}

export interface StepRun {
  name: string;
  id: string;
  outcome: Result;
  conclusion: Result;
  ms: number;
  outputs: Record<string, string>;
  /** An action's inputs as the step received them. */
  with?: Record<string, string>;
  step?: StepResult;
}

export interface JobRun {
  id: string;
  name: string;
  result: Result;
  ms: number;
  outputs: Record<string, string>;
  steps: StepRun[];
  summary: string;
  environment?: string;
  /** For a failed job: the step that failed and why, masked and escaped. */
  failure?: string[];
  /** Its steps' error, warning and notice annotations, as GitHub lists them (masked, escaped). */
  annotations?: string[];
  /** Why it failed or was skipped, when the runner itself decided. */
  reason?: string;
}

export interface WorkflowRun {
  triggered: boolean;
  result: Result;
  jobs: JobRun[];
  outputs: Record<string, string>;
  ms: number;
  log: string;
  dir: string;
}

/** A feature the runner does not have, named. */
export class UnsupportedError extends Error {}

// ---------------------------------------------------------------------------------------------
// Tokens and expressions

interface Token {
  type: number;
  value?: unknown;
  expr?: string;
  map?: { key: Token; value: Token }[];
  seq?: Token[];
}
const T = { String: 0, Sequence: 1, Mapping: 2, Expression: 3, Insert: 4, Boolean: 5, Number: 6, Null: 7 };

type Contexts = Record<string, unknown>;
type Status = { success: boolean; failure: boolean; cancelled: boolean };

function statusFunctions(status: Status): FunctionDefinition[] {
  const fn = (name: string, value: boolean): FunctionDefinition => ({ name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value) });
  return [fn('success', status.success), fn('failure', status.failure), fn('cancelled', status.cancelled), fn('always', true)];
}

const UNSUPPORTED_FUNCTIONS = ['hashFiles'];

export function evaluate(expr: string, contexts: Contexts, status: Status = { success: true, failure: false, cancelled: false }): Data.ExpressionData {
  for (const f of UNSUPPORTED_FUNCTIONS) if (new RegExp(`\\b${f}\\s*\\(`).test(expr)) throw new UnsupportedError(`${f}() is not supported by the local runner`);
  const functions = statusFunctions(status);
  const lexed = new Lexer(expr).lex();
  const ast = new Parser(lexed.tokens, Object.keys(contexts), functions).parse();
  const ctx = JSON.parse(JSON.stringify(contexts), data.reviver) as Data.Dictionary;
  return new Evaluator(ast, ctx, new Map(functions.map((f) => [f.name.toLowerCase(), f]))).evaluate();
}

/** A string with `${{ }}` parts, as the raw YAML of `with:` and `shell:` holds them. */
export function evaluateTemplate(text: string, contexts: Contexts): string {
  let out = '';
  let i = 0;
  for (;;) {
    const start = text.indexOf('${{', i);
    if (start < 0) return out + text.slice(i);
    out += text.slice(i, start);
    let j = start + 3;
    let quoted = false;
    for (; j < text.length; j++) {
      if (text[j] === "'") quoted = !quoted;
      else if (!quoted && text.startsWith('}}', j)) break;
    }
    if (j >= text.length) throw new Error(`An expression is not closed: ${text.slice(start, start + 40)}`);
    out += evaluate(text.slice(start + 3, j).trim(), contexts).coerceString();
    i = j + 2;
  }
}

function tokenValue(token: Token | undefined, contexts: Contexts, status?: Status): unknown {
  if (!token) return undefined;
  switch (token.type) {
    case T.String:
    case T.Boolean:
    case T.Number:
      return token.value;
    case T.Null:
      return null;
    case T.Expression: {
      const v = evaluate(token.expr!, contexts, status);
      return JSON.parse(JSON.stringify(v, data.replacer)) as unknown;
    }
    case T.Sequence:
      return token.seq!.map((t) => tokenValue(t, contexts, status));
    case T.Mapping:
      return Object.fromEntries(token.map!.map((kv) => [String(tokenValue(kv.key, contexts)), tokenValue(kv.value, contexts, status)]));
    default:
      throw new UnsupportedError(`a ${token.type === T.Insert ? 'template insert (${{ insert }})' : `token of type ${token.type}`} is not supported`);
  }
}

const asString = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function stringMap(token: Token | undefined, contexts: Contexts): Record<string, string> {
  const v = tokenValue(token, contexts);
  return Object.fromEntries(Object.entries((v ?? {}) as Record<string, unknown>).map(([k, x]) => [k, asString(x)]));
}

function isTrue(token: Token | undefined, contexts: Contexts, status: Status): boolean {
  if (!token) return status.success;
  if (token.type === T.Expression) return truthy(evaluate(token.expr!, contexts, status));
  return Boolean(tokenValue(token, contexts, status));
}

// ---------------------------------------------------------------------------------------------
// Triggers: GitHub's filter patterns

/** GitHub's branch/tag filter glob: `*` stops at `/`, `**` does not, `?` and `+` quantify, `[...]` a class. */
export function filterPattern(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?' || c === '+') re += c;
    else if (c === '[') {
      const end = glob.indexOf(']', i);
      re += end > i ? glob.slice(i, end + 1) : '\\[';
      if (end > i) i = end;
    } else re += c.replace(/[.^$|(){}\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Whether a name passes a filter list (later patterns win; `!` excludes). */
export function matchesFilters(name: string, patterns: string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (filterPattern(p.slice(1)).test(name)) matched = false;
    } else if (filterPattern(p).test(name)) matched = true;
  }
  return matched;
}

function pushTriggers(on: Record<string, unknown> | undefined, ref: string, defaultBranch: string): boolean {
  if (!on || !('push' in on)) return false;
  const f = (on.push ?? {}) as Record<string, string[] | undefined>;
  const tag = /^refs\/tags\/(.+)$/.exec(ref)?.[1];
  const branch = /^refs\/heads\/(.+)$/.exec(ref)?.[1];
  const list = (k: string) => f[k]?.map((p) => p.replace('$default-branch', defaultBranch));
  const [only, ignore] = tag ? [list('tags'), list('tags-ignore')] : [list('branches'), list('branches-ignore')];
  const otherKind = tag ? f.branches || f['branches-ignore'] : f.tags || f['tags-ignore'];
  const name = (tag ?? branch)!;
  if (only) return matchesFilters(name, only);
  if (ignore) return !matchesFilters(name, ignore);
  return !otherKind; // only the other kind's filters: this kind does not trigger
}

// ---------------------------------------------------------------------------------------------
// The runner

interface RawStep {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  shell?: string;
  'working-directory'?: string;
  'timeout-minutes'?: number | string;
  [key: string]: unknown;
}
interface RawJob {
  steps?: RawStep[];
  defaults?: { run?: { shell?: string; 'working-directory'?: string } };
  'timeout-minutes'?: number | string;
  [key: string]: unknown;
}
interface RawWorkflow {
  on?: Record<string, unknown> | string | string[];
  defaults?: { run?: { shell?: string; 'working-directory'?: string } };
  jobs: Record<string, RawJob>;
}

const LOCAL_ACTIONS = ['actions/checkout', 'actions/upload-artifact', 'actions/download-artifact', 'aws-actions/configure-aws-credentials'];
const SHELLS: Record<string, [string, ...string[]]> = { '': ['bash', '-e'], bash: ['bash', '--noprofile', '--norc', '-e', '-o', 'pipefail'], sh: ['sh', '-e'] };

/**
 * The control characters escaped, so a line cannot turn into something else where it is shown.
 * Unlike the toolkit's escapeLog, ESC too: this log is a file people open in a terminal. Colour
 * and cursor codes (Compose prints them) are dropped first: they carry nothing to read.
 */
function escapeLine(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export class WorkflowRunner {
  /** The workflow file's text, its YAML (for what the converted template drops) and its events. */
  private readonly source: string;
  private readonly raw: RawWorkflow;
  private readonly on: Record<string, unknown> | undefined;
  private readonly opts: RunOptions;
  private readonly masks = new Set<string>();
  private readonly logLines: string[] = [];
  readonly dir: string;
  private readonly runId = String(Math.floor(Math.random() * 1e9));
  private sha = '';

  constructor(opts: RunOptions) {
    this.opts = opts;
    this.source = fs.readFileSync(opts.workflow, 'utf8');
    this.raw = parseYaml(this.source) as RawWorkflow;
    this.on = eventsOf(this.raw.on);
    this.dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'drover-run-'));
    fs.mkdirSync(path.join(this.dir, 'artifacts'), { recursive: true });
    for (const s of Object.values(opts.secrets ?? {})) this.mask(s);
    for (const env of Object.values(opts.environments ?? {})) for (const s of Object.values(env.secrets ?? {})) this.mask(s);
  }

  private mask(value: string): void {
    for (const v of [value, ...value.split(/\r?\n/)]) if (v.trim().length > 2) this.masks.add(v);
  }

  log(line: string): void {
    const text = this.shown(line);
    this.logLines.push(text);
    this.opts.onLog?.(text);
  }

  /** A line as it may be shown: masked, then escaped. */
  private shown(line: string): string {
    let text = line;
    for (const m of [...this.masks].sort((a, b) => b.length - a.length)) text = text.split(m).join('***');
    return escapeLine(text);
  }

  /** A step's output in the log: what it masked first, then its lines (the mask commands aside). */
  private logStep(job: string, result: StepResult): void {
    for (const m of result.masks) this.mask(m);
    // Between ::stop-commands::<token> and ::<token>:: every line is text, an ::add-mask:: too (GitHub's
    // workflow commands docs, "Stopping and starting workflow commands"); outside, a mask command is not shown.
    let stopToken: string | undefined;
    for (const line of `${result.stdout}${result.stderr}`.split(/\r\n|\r|\n/)) {
      if (!line) continue;
      if (stopToken) {
        if (line === `::${stopToken}::`) stopToken = undefined;
        this.log(`[${job}] ${line}`);
        continue;
      }
      const stop = /^::stop-commands::(.+)$/.exec(line);
      if (stop) stopToken = stop[1];
      if (!line.startsWith('::add-mask::')) this.log(`[${job}] ${line}`);
    }
  }

  /** Parses, checks what it supports, then runs the jobs. */
  async run(): Promise<WorkflowRun> {
    const started = Date.now();
    const template = await this.load();
    const on = this.on;
    const defaultBranch = this.opts.defaultBranch ?? 'develop';
    const triggered =
      this.opts.event === 'push' ? pushTriggers(on, this.opts.ref, defaultBranch) : Boolean(on && this.opts.event in on);
    if (!triggered) return { triggered, result: 'skipped', jobs: [], outputs: {}, ms: 0, log: '', dir: this.dir };
    const inputs = this.inputs(on);
    this.secretsFor(on); // a called workflow's required secrets, before any job
    this.sha = execFileSync('git', ['-c', `safe.directory=${this.opts.remote}`, '--git-dir', this.opts.remote, 'rev-parse', `${this.opts.ref}^{commit}`], { encoding: 'utf8' }).trim();

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
      fs.writeFileSync(path.join(this.dir, 'log.txt'), `${this.logLines.join('\n')}\n`);
    }
    const all = [...results.values()];
    // A job with continue-on-error fails alone: the run passes (workflow syntax, jobs.<job_id>.continue-on-error)
    const counts = (j: JobRun) => !(j.result === 'failure' && this.continuesOnError(j.id, inputs));
    const result: Result = all.some((j) => j.result === 'failure' && counts(j)) ? 'failure' : all.some((j) => j.result === 'cancelled') ? 'cancelled' : 'success';
    const outputs = this.callOutputs(on, results, inputs);
    const log = this.logLines.join('\n');
    return { triggered, result, jobs: all, outputs, ms: Date.now() - started, log, dir: this.dir };
  }

  private async load(): Promise<{ jobs: unknown[]; env: Token; concurrency: Token; events: Record<string, unknown> }> {
    const name = path.basename(this.opts.workflow);
    const parsed = parseWorkflow({ name, content: this.source }, new NoOperationTraceWriter());
    const errors = parsed.context.errors.getErrors();
    if (errors.length || !parsed.value) throw new Error(`${name}: ${errors.map((e) => e.message).join('; ') || 'not a workflow'}`);
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    if (template.errors?.length) throw new Error(`${name}: ${template.errors.map((e) => e.Message).join('; ')}`);
    this.refuseUnsupported(template.jobs as unknown as JobToken[]);
    return template as unknown as { jobs: unknown[]; env: Token; concurrency: Token; events: Record<string, unknown> };
  }

  /** Everything the runner cannot do, named, before any job runs. */
  private refuseUnsupported(jobs: JobToken[]): void {
    const where = (job: string) => `${path.basename(this.opts.workflow)}: job '${job}'`;
    const actionsRepo = this.opts.actionsRepo ?? 'acme/drover';
    for (const f of UNSUPPORTED_FUNCTIONS)
      if (new RegExp(`\\b${f}\\s*\\(`).test(this.source)) throw new UnsupportedError(`${path.basename(this.opts.workflow)}: ${f}() is not supported by the local runner`);
    for (const job of jobs) {
      const id = String(job.id.value);
      if (job.type === 'reusableWorkflowJob') throw new UnsupportedError(`${where(id)}: calling a reusable workflow (jobs.<id>.uses) is not supported by the local runner`);
      for (const key of ['strategy', 'container', 'services'] as const)
        if (job[key]) throw new UnsupportedError(`${where(id)}: '${key}'${key === 'strategy' ? ' (matrix)' : ''} is not supported by the local runner`);
      const raw = this.raw.jobs[id]!;
      for (const [i, step] of (job.steps ?? []).entries()) {
        const rawStep = raw.steps?.[i] ?? {};
        const label = `${where(id)}, step ${i + 1}`;
        if (!('run' in step) && !('uses' in step)) throw new UnsupportedError(`${label}: '${Object.keys(rawStep)[0]}' steps are not supported by the local runner`);
        const shell = rawStep.shell ?? raw.defaults?.run?.shell ?? this.raw.defaults?.run?.shell ?? '';
        if ('run' in step && !(shell in SHELLS)) throw new UnsupportedError(`${label}: shell '${shell}' is not supported by the local runner (bash, sh)`);
        if ('uses' in step) {
          const uses = String(step.uses.value);
          if (!actionFolder(uses, actionsRepo) && !LOCAL_ACTIONS.includes(uses.split('@')[0]!))
            throw new UnsupportedError(`${label}: uses: ${uses} is not supported by the local runner (${LOCAL_ACTIONS.join(', ')} and ${actionsRepo}/actions/*)`);
        }
      }
    }
  }

  /** The `inputs` context: dispatch or call inputs with their defaults and types. */
  private inputs(on: Record<string, unknown> | undefined): Record<string, unknown> {
    if (this.opts.event === 'push') return {};
    const specs = ((on?.[this.opts.event] as { inputs?: Record<string, InputSpec> } | undefined)?.inputs ?? {}) as Record<string, InputSpec>;
    const given = this.opts.inputs ?? {};
    for (const k of Object.keys(given)) if (!(k in specs)) throw new Error(`Input '${k}': the workflow declares no such input (${Object.keys(specs).join(', ') || 'none'})`);
    const out: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(specs)) {
      let v: unknown = given[name] ?? spec.default;
      if (v === undefined) {
        if (spec.required) throw new Error(`Input '${name}' is required`);
        v = spec.type === 'boolean' ? false : '';
      }
      if (spec.type === 'boolean') {
        if (typeof v === 'string' && !/^(true|false)$/.test(v)) throw new Error(`Input '${name}' must be true or false, not ${v}`);
        v = v === true || v === 'true';
      } else if (spec.type === 'number') {
        if (!Number.isFinite(Number(v))) throw new Error(`Input '${name}' must be a number, not ${String(v)}`);
        v = Number(v);
      } else if (spec.type === 'choice' && !(spec.options ?? []).includes(String(v))) {
        throw new Error(`Input '${name}' must be one of ${(spec.options ?? []).join(', ')}, not ${String(v)}`);
      } else v = String(v);
      out[name] = v;
    }
    return out;
  }

  private secretsFor(on: Record<string, unknown> | undefined, environment?: string): Record<string, string> {
    let secrets = { ...(this.opts.secrets ?? {}) };
    if (this.opts.event === 'workflow_call') {
      const declared = ((on?.workflow_call as { secrets?: Record<string, { required?: boolean }> } | undefined)?.secrets ?? {}) as Record<string, { required?: boolean }>;
      for (const [k, s] of Object.entries(declared)) if (s?.required && !secrets[k]) throw new Error(`Secret ${k} is required by the called workflow`);
      secrets = Object.fromEntries(Object.entries(secrets).filter(([k]) => k in declared));
    }
    return { ...secrets, ...(environment ? (this.environmentSettings(environment)?.secrets ?? {}) : {}), GITHUB_TOKEN: '' };
  }

  /**
   * What a step wrote to GITHUB_ENV, as the runner takes it: NODE_OPTIONS is refused with the
   * runner's error (actions/runner #2775: it would load code into every later JavaScript action),
   * and GITHUB_* and RUNNER_* cannot overwrite the runner's own variables (workflow syntax docs,
   * "Setting an environment variable"), the file-command paths among them.
   */
  private fromEnvFile(job: string, written: Record<string, string>): Record<string, string> {
    const kept: Record<string, string> = {};
    for (const [k, v] of Object.entries(written)) {
      if (k.toUpperCase() === 'NODE_OPTIONS') this.log(`[${job}] ::error::Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.`);
      else if (/^(GITHUB|RUNNER)_/i.test(k)) this.log(`[${job}] ${k} from GITHUB_ENV ignored: the runner's own variables cannot be overwritten`);
      else kept[k] = v;
    }
    return kept;
  }

  private continuesOnError(job: string, inputs: Record<string, unknown>): boolean {
    const value = this.raw.jobs[job]?.['continue-on-error'];
    if (typeof value === 'boolean') return value;
    if (typeof value !== 'string') return false;
    return truthy(evaluate(value.replace(/^\$\{\{\s*|\s*\}\}$/g, ''), { inputs, vars: this.opts.vars ?? {}, github: this.github(inputs, job, '') } as Contexts, { success: true, failure: false, cancelled: false }));
  }

  private environmentSettings(name: string): EnvironmentSettings | undefined {
    return Object.entries(this.opts.environments ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  }

  private github(inputs: Record<string, unknown>, jobId: string, workspace: string): Record<string, unknown> {
    const ref = this.opts.ref;
    const [, kind, name] = /^refs\/(heads|tags)\/(.+)$/.exec(ref) ?? [];
    const repository = this.opts.repository ?? 'acme/auth-service';
    const event =
      this.opts.event === 'workflow_dispatch'
        ? { inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, String(v)])), ref }
        : { ref, after: this.sha, repository: { full_name: repository, default_branch: this.opts.defaultBranch ?? 'develop' } };
    return {
      event_name: this.opts.event === 'workflow_call' ? 'push' : this.opts.event,
      event,
      ref,
      ref_name: name,
      ref_type: kind === 'tags' ? 'tag' : 'branch',
      sha: this.sha,
      repository,
      repository_owner: repository.split('/')[0],
      run_id: this.runId,
      run_number: String(this.opts.runNumber ?? 1),
      run_attempt: '1',
      job: jobId,
      workspace,
      actor: 'drover',
      server_url: 'https://github.com',
      api_url: 'https://api.github.com',
      token: '',
    };
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
    const settings = environment ? this.environmentSettings(environment) : undefined;
    if (settings?.approval && !(this.opts.approve ?? []).some((e) => e.toLowerCase() === environment!.toLowerCase())) {
      const reason = `environment '${environment}' requires an approval that was not given (approve it: --approve ${environment})`;
      this.log(`[${id}] ${reason}`);
      return { ...skipped(reason), result: 'failure', environment };
    }

    const runner = new Job();
    try {
      const vars = { ...(this.opts.vars ?? {}), ...(settings?.vars ?? {}) };
      const secrets = this.secretsFor(on, environment);
      for (const s of Object.values(secrets)) if (s) this.mask(s);
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
      const posts: { action: string; main: StepResult; with: Record<string, string>; env: Record<string, string>; name: string }[] = [];
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
          if ('run' in step) {
            const script = asString(tokenValue(step.run, { ...ctx, env: stepEnv }));
            const file = path.join(runner.temp, `${randomUUID()}.sh`);
            fs.writeFileSync(file, script);
            runner.chown(file);
            const shell = SHELLS[rawStep.shell ?? raw.defaults?.run?.shell ?? this.raw.defaults?.run?.shell ?? '']!;
            const wdRaw = rawStep['working-directory'] ?? raw.defaults?.run?.['working-directory'] ?? this.raw.defaults?.run?.['working-directory'];
            // evaluated as GitHub does; an absolute path is taken as it is, a relative one under the workspace
            const wd = wdRaw && evaluateTemplate(asString(wdRaw), { ...ctx, env: stepEnv });
            // the script holds the step's evaluated expressions, secrets among them: it is gone once the step ends
            result = await runner.script(file, shell, { env: processEnv, cwd: wd ? path.resolve(runner.workspace, wd) : undefined, timeoutMs: remaining }).finally(() => fs.rmSync(file, { force: true }));
          } else {
            const uses = String(step.uses.value);
            const withValues = Object.fromEntries(Object.entries(rawStep.with ?? {}).map(([k, v]) => [k, evaluateTemplate(asString(v), { ...ctx, env: stepEnv })]));
            const local = actionFolder(uses, this.opts.actionsRepo ?? 'acme/drover');
            if (local) {
              const inputs = this.actionInputs(local, withValues, { ...ctx, env: stepEnv }, id);
              record.with = inputs;
              result = await runner.run(local, { with: inputs, env: { ...processEnv, GITHUB_ACTION: stepId, GITHUB_ACTION_PATH: path.dirname(manifestPath(local)) }, timeoutMs: remaining });
              if (manifest(local).runs.post) posts.push({ action: local, main: result, with: inputs, env: processEnv, name: label });
            } else failed = !this.builtin(uses.split('@')[0]!, withValues, runner, ctx, { env, permissions: raw.permissions, job: id });
          }
        } catch (err) {
          if (err instanceof UnsupportedError) throw err;
          this.log(`[${id}] - ${label}: ${(err as Error).message}`);
          failed = true;
        }
        if (result) {
          this.logStep(id, result);
          failed = result.exitCode !== 0 || result.timedOut === true;
          if (result.timedOut) this.log(`[${id}] - ${label}: timed out, its processes killed`);
          Object.assign(env, this.fromEnvFile(id, result.env));
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
        this.logStep(id, result);
        summary += result.summary;
        const ok = result.exitCode === 0;
        if (!ok) jobStatus = 'failure';
        steps.push({ name: `Post ${post.name}`, id: '', outcome: ok ? 'success' : 'failure', conclusion: ok ? 'success' : 'failure', ms: Date.now() - t0, outputs: {}, step: result });
        this.log(`[${id}] - Post ${post.name}: ${ok ? 'success' : 'failure'}`);
      }
      // GitHub does not pass on a job output that holds a secret (or a masked value), and says so
      const outputs = Object.fromEntries(
        Object.entries(stringMap(job.outputs, ctx)).filter(([k, v]) => {
          const secret = [...this.masks].some((m) => v.includes(m));
          if (secret) this.log(`[${id}] ::warning::Skip output '${k}' since it may contain secret.`);
          return !secret;
        }),
      );
      const ms = Date.now() - started;
      this.log(`[${id}] ${jobStatus} in ${(ms / 1000).toFixed(1)} s`);
      // a failed job says which step failed and why (its errors, or its last lines), masked
      const failedStep = jobStatus === 'failure' ? steps.find((st) => st.outcome === 'failure' && st.conclusion === 'failure') : undefined;
      const why = failedStep?.step?.errors.length ? failedStep.step.errors : `${failedStep?.step?.stdout ?? ''}${failedStep?.step?.stderr ?? ''}`.split('\n').filter(Boolean).slice(-5);
      const failure = failedStep ? [`step '${this.shown(failedStep.name)}' failed${why.length ? ':' : ''}`, ...why.map((l) => `  ${this.shown(l)}`)] : undefined;
      // what GitHub shows on the run's page: the annotations, and the job summary
      const annotations = steps
        .flatMap((st) => st.step?.commands ?? [])
        .filter((c) => ['error', 'warning', 'notice'].includes(c.command))
        .map((c) => this.shown(`${c.command[0]!.toUpperCase()}${c.command.slice(1)}${c.properties.file ? ` ${c.properties.file}${c.properties.line ? `:${c.properties.line}` : ''}` : ''}${c.properties.title ? ` (${c.properties.title})` : ''}: ${c.message}`));
      for (const a of annotations) this.log(`[${id}] annotation: ${a}`);
      for (const line of summaryText(summary)) this.log(`[${id}] summary: ${line}`);
      return { id, name, result: jobStatus, ms, outputs, steps, summary, environment, failure, annotations };
    } finally {
      fs.cpSync(runner.dir, path.join(this.dir, 'jobs', id), { recursive: true, filter: (p) => !p.includes(`${path.sep}workspace`) && !p.includes(`${path.sep}home`) });
      runner.cleanup();
    }
  }

  /** Declared inputs: `with:` over the defaults (evaluated); an undeclared one warned about, as the runner does. */
  private actionInputs(action: string, given: Record<string, string>, ctx: Contexts, job: string): Record<string, string> {
    const declared = manifest(action).inputs ?? {};
    const unexpected = Object.keys(given).filter((k) => !(k in declared));
    if (unexpected.length) this.log(`[${job}] Warning: Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${Object.keys(declared).join("', '")}']`);
    const out: Record<string, string> = {};
    for (const [k, spec] of Object.entries(declared)) out[k] = k in given ? given[k]! : spec.default === undefined ? '' : evaluateTemplate(asString(spec.default), ctx);
    return { ...out, ...given };
  }

  private processEnv(runner: Job, ctx: Contexts, env: Record<string, string>, extraPath: string[]): Record<string, string> {
    const gh = ctx.github as Record<string, string>;
    const eventPath = path.join(runner.temp, 'event.json');
    fs.writeFileSync(eventPath, JSON.stringify(gh.event));
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

  /** actions/checkout, upload-artifact and download-artifact, done on this machine; a stand-in for configure-aws-credentials. */
  private builtin(action: string, w: Record<string, string>, runner: Job, ctx: Contexts, job: { env: Record<string, string>; permissions: unknown; job: string }): boolean {
    const gh = ctx.github as Record<string, string>;
    if (action === 'aws-actions/configure-aws-credentials') return this.awsCredentials(w, job);
    if (action === 'actions/checkout') {
      const ref = w.ref ? (w.ref.startsWith('refs/') ? w.ref : `refs/heads/${w.ref}`) : gh.ref!;
      checkoutLikeActions(this.opts.remote, runner.workspace, { ref, fetchDepth: Number(w['fetch-depth'] ?? 1), uid: runner.uid, gid: runner.gid });
      this.log(`[${gh.job}] checked out ${ref} (depth ${w['fetch-depth'] ?? 1})`);
      return true;
    }
    // A name is a plain name (never `.` or `..`, which would be the store itself or the run's folder),
    // and every path stays inside the workspace by its real path: a symlink cannot lead out of it.
    const name = w.name || 'artifact';
    if (!/^[\w.-]+$/.test(name) || /^\.+$/.test(name)) throw new Error(`artifact name '${name}' is not a plain name`);
    const store = path.join(this.dir, 'artifacts', name);
    const workspace = fs.realpathSync(runner.workspace);
    const inside = (p: string) => p === workspace || p.startsWith(`${workspace}${path.sep}`);
    if (action === 'actions/upload-artifact') {
      for (const p of (w.path ?? '').split('\n').filter(Boolean)) {
        const real = fs.realpathSync(path.resolve(workspace, p));
        if (!inside(real)) throw new Error(`upload-artifact: ${p} is outside the workspace (its real path is ${real})`);
        fs.cpSync(real, path.join(store, path.relative(workspace, path.resolve(workspace, p))), { recursive: true, dereference: false, verbatimSymlinks: true });
      }
      return true;
    }
    if (!fs.existsSync(store)) throw new Error(`no artifact named ${name}`);
    const target = path.resolve(workspace, w.path ?? '');
    if (!inside(target) || (fs.existsSync(target) && !inside(fs.realpathSync(target)))) throw new Error(`download-artifact: path ${w.path} is outside the workspace`);
    fs.cpSync(store, target, { recursive: true, verbatimSymlinks: true });
    runner.chown(runner.workspace);
    return true;
  }

  /**
   * STAND-IN for aws-actions/configure-aws-credentials, not the action: with `role-to-assume`,
   * GitHub's OIDC exchange needs the job's `id-token: write`, and the credentials are the runner's
   * `awsCredentials` (the test bed's; no STS here); without a role, the keys given. Either way they
   * go into the job's environment, masked, with the region, as the action exports them.
   */
  private awsCredentials(w: Record<string, string>, job: { env: Record<string, string>; permissions: unknown; job: string }): boolean {
    const fail = (why: string) => (this.log(`[${job.job}] configure-aws-credentials: ${why}`), false);
    let creds: RunOptions['awsCredentials'];
    if (w['role-to-assume']) {
      const perms = job.permissions as Record<string, string> | string | undefined;
      if (!(typeof perms === 'object' && perms['id-token'] === 'write') && perms !== 'write-all') return fail('Credentials could not be loaded: assuming a role with OIDC needs the job permission id-token: write');
      creds = this.opts.awsCredentials;
      if (!creds) return fail('Credentials could not be loaded: this runner has no stand-in credentials for an OIDC role (awsCredentials)');
    } else if (w['aws-access-key-id'] && w['aws-secret-access-key']) {
      creds = { accessKeyId: w['aws-access-key-id'], secretAccessKey: w['aws-secret-access-key'], sessionToken: w['aws-session-token'] || undefined };
    } else return fail('Credentials could not be loaded: give role-to-assume, or aws-access-key-id and aws-secret-access-key');
    if (!w['aws-region']) return fail('Input required and not supplied: aws-region');
    for (const v of [creds.accessKeyId, creds.secretAccessKey, creds.sessionToken ?? '']) if (v) this.mask(v);
    Object.assign(job.env, { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_REGION: w['aws-region'], AWS_DEFAULT_REGION: w['aws-region'] }, creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {});
    this.log(`[${job.job}] configure-aws-credentials (local stand-in): ${w['role-to-assume'] ? 'role assumed with OIDC' : 'access keys'} for ${w['aws-region']}`);
    return true;
  }

  private callOutputs(on: Record<string, unknown> | undefined, jobs: Map<string, JobRun>, inputs: Record<string, unknown>): Record<string, string> {
    const specs = ((on?.workflow_call as { outputs?: Record<string, { value?: string }> } | undefined)?.outputs ?? {}) as Record<string, { value?: string }>;
    const ctx: Contexts = { jobs: Object.fromEntries([...jobs].map(([k, j]) => [k, { result: j.result, outputs: j.outputs }])), inputs, vars: this.opts.vars ?? {}, github: this.github(inputs, '', '') };
    return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, evaluateTemplate(asString(s?.value), ctx)]));
  }
}

interface InputSpec {
  type?: string;
  required?: boolean;
  default?: string | boolean | number;
  options?: string[];
}

interface StepToken {
  id: string;
  name?: Token;
  if?: Token;
  env?: Token;
  run?: Token;
  uses: Token;
  'continue-on-error'?: boolean | Token;
}
interface JobToken {
  type: string;
  id: Token;
  name?: Token;
  needs?: Token[];
  if?: Token;
  env?: Token;
  environment?: unknown;
  concurrency?: unknown;
  strategy?: unknown;
  container?: unknown;
  services?: unknown;
  outputs?: Token;
  steps?: StepToken[];
}

/** A timeout-minutes value (a number, or an expression GitHub evaluates), 360 by default. */
function minutes(value: unknown, ctx: Contexts, what: string): number {
  if (value === undefined) return 360;
  const n = Number(typeof value === 'string' ? evaluateTemplate(value, ctx) : value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what}: timeout-minutes ${JSON.stringify(value)} is not a positive number of minutes`);
  return n;
}

/** `owner/repo/actions/<name>@ref` of the actions repository → the action's folder name. */
function actionFolder(uses: string, actionsRepo: string): string | undefined {
  const m = /^([^@]+)\/actions\/([a-z0-9-]+)@[\w.\-/]+$/.exec(uses);
  return m && m[1] === actionsRepo && fs.existsSync(manifestPath(m[2]!)) ? m[2] : undefined;
}

function manifestPath(action: string): string {
  return path.join(ROOT, 'actions', action, 'action.yml');
}

/** One line per job: result, time, and the environment it ran in. */
export function jobLine(job: JobRun): string {
  const env = job.environment ? ` (${job.environment})` : '';
  const line = `${job.id}${env}: ${job.result} in ${(job.ms / 1000).toFixed(1)} s${job.reason ? `: ${job.reason}` : ''}`;
  return [line, ...(job.failure ?? []).map((l) => `  ${l}`), ...(job.annotations ?? []).map((a) => `  ${a}`)].join('\n');
}

/** A job summary (Markdown with the HTML tables the toolkit writes) as lines of text, the tables' cells joined by ' | '. */
export function summaryText(summary: string): string[] {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
  return summary
    .replace(/<\/t[dh]>\s*<t[dh][^>]*>/g, ' | ')
    .replace(/<br\s*\/?>|<\/tr>|<\/h\d>|<\/p>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => entities[e]!)
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** `on:` as a map of events, whichever of its three forms the file uses. */
function eventsOf(on: RawWorkflow['on']): Record<string, unknown> | undefined {
  if (typeof on === 'string') return { [on]: {} };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [e, {}]));
  return on && Object.fromEntries(Object.entries(on).map(([k, v]) => [k, v ?? {}]));
}

/** Jobs in an order where each comes after its needs; a cycle or an unknown need is an error. */
function topological(jobs: JobToken[]): JobToken[] {
  const byId = new Map(jobs.map((j) => [String(j.id.value), j]));
  const out: JobToken[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, from?: string) => {
    const job = byId.get(id);
    if (!job) throw new Error(`job '${from}' needs '${id}', which is not a job of the workflow`);
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`jobs '${id}' and '${from}' need each other`);
    state.set(id, 'visiting');
    for (const n of job.needs ?? []) visit(String(n.value), id);
    state.set(id, 'done');
    out.push(job);
  };
  for (const id of byId.keys()) visit(id);
  return out;
}

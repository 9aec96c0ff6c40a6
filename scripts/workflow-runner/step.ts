/**
 * One step and its process: a `run:` script in its shell and working directory, a Drover action's
 * bundle with its inputs, or a stand-in, each as the runner user with the step's environment and
 * bounded by its timeout (the harness kills the step and everything it started).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manifest, type Job, type StepResult } from '../harness.ts';
import { actionFolder, manifestPath, SHELLS } from './actions.ts';
import { asString, evaluateTemplate, tokenValue } from './expressions.ts';
import { runStandIn, type Host } from './stand-ins.ts';
import type { Contexts, RawJob, RawStep, RawWorkflow, StepRun, StepToken } from './types.ts';

/** A Drover action's main stage, kept to run its post stage at the end of the job. */
export interface Post {
  action: string;
  main: StepResult;
  with: Record<string, string>;
  env: Record<string, string>;
  name: string;
}

export interface StepScope {
  step: StepToken;
  rawStep: RawStep;
  /** The job's and the workflow's `defaults:`. */
  defaults: [RawJob['defaults'], RawWorkflow['defaults']];
  runner: Job;
  /** The contexts, with the step's `env`. */
  ctx: Contexts;
  processEnv: Record<string, string>;
  remainingMs: number;
  actionsRepo: string;
  job: string;
  stepId: string;
  label: string;
  record: StepRun;
  posts: Post[];
  /** The job's environment, which a stand-in may extend. */
  env: Record<string, string>;
  permissions: unknown;
  host: Host;
  actionInputs: (action: string, given: Record<string, string>) => Record<string, string>;
}

export async function runStep(s: StepScope): Promise<{ result?: StepResult; failed: boolean }> {
  const { step, rawStep, runner, ctx } = s;
  const [jobDefaults, workflowDefaults] = s.defaults;
  if ('run' in step) {
    const script = asString(tokenValue(step.run, ctx));
    const file = path.join(runner.temp, `${randomUUID()}.sh`);
    fs.writeFileSync(file, script);
    runner.chown(file);
    const shell = SHELLS[rawStep.shell ?? jobDefaults?.run?.shell ?? workflowDefaults?.run?.shell ?? '']!;
    const wdRaw = rawStep['working-directory'] ?? jobDefaults?.run?.['working-directory'] ?? workflowDefaults?.run?.['working-directory'];
    // evaluated as GitHub does; an absolute path is taken as it is, a relative one under the workspace
    const wd = wdRaw && evaluateTemplate(asString(wdRaw), ctx);
    // the script holds the step's evaluated expressions, secrets among them: it is gone once the step ends
    const result = await runner.script(file, shell, { env: s.processEnv, cwd: wd ? path.resolve(runner.workspace, wd) : undefined, timeoutMs: s.remainingMs }).finally(() => fs.rmSync(file, { force: true }));
    return { result, failed: false };
  }
  const uses = String(step.uses.value);
  const withValues = Object.fromEntries(Object.entries(rawStep.with ?? {}).map(([k, v]) => [k, evaluateTemplate(asString(v), ctx)]));
  const local = actionFolder(uses, s.actionsRepo);
  if (!local) return { failed: !runStandIn(s.host, uses.split('@')[0]!, withValues, runner, ctx, { env: s.env, permissions: s.permissions, job: s.job }) };
  const inputs = s.actionInputs(local, withValues);
  s.record.with = inputs;
  const result = await runner.run(local, { with: inputs, env: { ...s.processEnv, GITHUB_ACTION: s.stepId, GITHUB_ACTION_PATH: path.dirname(manifestPath(local)) }, timeoutMs: s.remainingMs });
  if (manifest(local).runs.post) s.posts.push({ action: local, main: result, with: inputs, env: s.processEnv, name: s.label });
  return { result, failed: false };
}

/**
 * Loading a workflow: parsed and checked by @actions/workflow-parser, converted to its template,
 * and refused, by name and before any job runs, where it asks for what this runner does not do
 * (a matrix, `services:`, `container:`, a reusable-workflow job, another action or shell,
 * `hashFiles()`); and its jobs in `needs` order.
 */
import * as path from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow, UNSUPPORTED_FUNCTIONS } from './expressions.ts';
import { actionFolder, SHELLS } from './actions.ts';
import { LOCAL_ACTIONS } from './stand-ins.ts';
import { UnsupportedError, type JobToken, type RawWorkflow, type RunOptions, type Token } from './types.ts';

export interface Template {
  jobs: unknown[];
  env: Token;
  concurrency: Token;
  events: Record<string, unknown>;
}

export async function loadWorkflow(opts: RunOptions, source: string, raw: RawWorkflow): Promise<Template> {
  const name = path.basename(opts.workflow);
  const parsed = parseWorkflow({ name, content: source }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors();
  if (errors.length || !parsed.value) throw new Error(`${name}: ${errors.map((e) => e.message).join('; ') || 'not a workflow'}`);
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  if (template.errors?.length) throw new Error(`${name}: ${template.errors.map((e) => e.Message).join('; ')}`);
  refuseUnsupported(opts, source, raw, template.jobs as unknown as JobToken[]);
  return template as unknown as Template;
}

/** Everything the runner cannot do, named, before any job runs. */
function refuseUnsupported(opts: RunOptions, source: string, rawWorkflow: RawWorkflow, jobs: JobToken[]): void {
  const where = (job: string) => `${path.basename(opts.workflow)}: job '${job}'`;
  const actionsRepo = opts.actionsRepo ?? 'acme/drover';
  for (const f of UNSUPPORTED_FUNCTIONS)
    if (new RegExp(`\\b${f}\\s*\\(`).test(source)) throw new UnsupportedError(`${path.basename(opts.workflow)}: ${f}() is not supported by the local runner`);
  for (const job of jobs) {
    const id = String(job.id.value);
    if (job.type === 'reusableWorkflowJob') throw new UnsupportedError(`${where(id)}: calling a reusable workflow (jobs.<id>.uses) is not supported by the local runner`);
    for (const key of ['strategy', 'container', 'services'] as const)
      if (job[key]) throw new UnsupportedError(`${where(id)}: '${key}'${key === 'strategy' ? ' (matrix)' : ''} is not supported by the local runner`);
    const raw = rawWorkflow.jobs[id]!;
    for (const [i, step] of (job.steps ?? []).entries()) {
      const rawStep = raw.steps?.[i] ?? {};
      const label = `${where(id)}, step ${i + 1}`;
      if (!('run' in step) && !('uses' in step)) throw new UnsupportedError(`${label}: '${Object.keys(rawStep)[0]}' steps are not supported by the local runner`);
      const shell = rawStep.shell ?? raw.defaults?.run?.shell ?? rawWorkflow.defaults?.run?.shell ?? '';
      if ('run' in step && !(shell in SHELLS)) throw new UnsupportedError(`${label}: shell '${shell}' is not supported by the local runner (bash, sh)`);
      if ('uses' in step) {
        const uses = String(step.uses.value);
        if (!actionFolder(uses, actionsRepo) && !LOCAL_ACTIONS.includes(uses.split('@')[0]!))
          throw new UnsupportedError(`${label}: uses: ${uses} is not supported by the local runner (${LOCAL_ACTIONS.join(', ')} and ${actionsRepo}/actions/*)`);
      }
    }
  }
}

/** Jobs in an order where each comes after its needs; a cycle or an unknown need is an error. */
export function topological(jobs: JobToken[]): JobToken[] {
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

/**
 * One-off swarm jobs: a command run once on every node (`--mode global-job`, Docker 20.10 and
 * later), through the swarm API only, so it reaches what lives on any node, the workers
 * included, from a runner off the cluster. Waited for until every node's task has ended; what
 * the tasks printed is read back through swarm's logs.
 */
import { randomBytes } from 'node:crypto';
import { docker, dockerJson, dockerLines, dockerOk } from './docker';
import { escapeLog } from './exec';

export interface JobSpec {
  /** The service's name is this and a random suffix. */
  prefix: string;
  image: string;
  entrypoint: string;
  args: readonly string[];
  /** Named volumes mounted in each node's task (the volume of that name on that node). */
  volumes?: readonly { source: string; target: string }[];
}

export interface JobTask {
  node: string;
  /** swarm's task state: complete, failed, rejected, shutdown… */
  state: string;
  error: string;
}

export interface JobResult {
  tasks: JobTask[];
  /** What the tasks printed (stdout and stderr, as swarm keeps them), as printed: a caller validates before use and escapes before logging. */
  lines: string[];
}

const ENDED = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);

interface TaskInspect {
  NodeID: string;
  Status: { State: string; Err?: string };
}

/** Pure: the argv that creates the job, detached. */
export function globalJobArgv(name: string, spec: JobSpec): string[] {
  return [
    'service', 'create', '--detach', '--quiet', '--mode', 'global-job', '--restart-condition', 'none', '--with-registry-auth', '--name', name,
    ...(spec.volumes ?? []).flatMap((v) => ['--mount', `type=volume,source=${v.source},target=${v.target}`]),
    '--entrypoint', spec.entrypoint, spec.image, ...spec.args,
  ];
}

/**
 * Runs the job on every node that is ready and active, waits until each of its tasks has ended
 * (or the deadline), and removes it, also when cancelled, so nothing of it is left behind.
 */
export async function runGlobalJob(spec: JobSpec, opts: { deadline: number; signal?: AbortSignal }): Promise<JobResult> {
  const name = `${spec.prefix}-${randomBytes(4).toString('hex')}`;
  const nodes = (await dockerLines(['node', 'ls', '--format', '{{.Status}} {{.Availability}}'])).filter((l) => l === 'Ready Active').length;
  try {
    // inside the try: a create cancelled after the manager took it leaves a job that finally removes
    await dockerOk(globalJobArgv(name, spec), { what: `Starting the job ${name}`, silent: true, signal: opts.signal });
    let tasks: JobTask[] = [];
    for (;;) {
      opts.signal?.throwIfAborted();
      tasks = endedPerNode(await jobTasks(name));
      if (tasks.length >= nodes && tasks.every((t) => ENDED.has(t.state))) break;
      if (Date.now() >= opts.deadline) throw new Error(`The job ${name} had not ended on every node at the deadline: ${tasks.map((t) => `${t.node} ${t.state}`).join(', ') || 'no task yet'}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const logs = await docker(['service', 'logs', '--raw', name], { silent: true, tailLines: 10_000 });
    return { tasks, lines: logs.tail.filter(Boolean) };
  } finally {
    // a create the manager is still committing when the remove arrives outlives it: look again
    for (let i = 0; i < 20; i++) {
      await docker(['service', 'rm', name], { silent: true });
      if (!(await dockerLines(['service', 'ls', '--quiet', '--filter', `name=${name}`])).length) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * One task per node: the one that completed, else the first that ended otherwise (swarm starts a
 * rejected job task again and again, whatever its restart policy: one rejection is the node's
 * answer), else one still under way.
 */
function endedPerNode(tasks: readonly JobTask[]): JobTask[] {
  const byNode = new Map<string, JobTask>();
  for (const t of tasks.filter((t) => t.node)) {
    const seen = byNode.get(t.node);
    const rank = (x?: JobTask) => (!x ? -1 : x.state === 'complete' ? 2 : ENDED.has(x.state) ? 1 : 0);
    if (rank(t) > rank(seen)) byNode.set(t.node, t);
  }
  return [...byNode.values()];
}

/** Removes the jobs whose names start with `prefix` (a run's own prefix: what a cancelled run may have left). */
export async function removeJobs(prefix: string): Promise<number> {
  const names = (await dockerLines(['service', 'ls', '--format', '{{.Name}}', '--filter', `name=${prefix}`])).filter((n) => n.startsWith(prefix));
  if (names.length) await docker(['service', 'rm', ...names], { silent: true });
  return names.length;
}

async function jobTasks(name: string): Promise<JobTask[]> {
  const ids = await dockerLines(['service', 'ps', '--no-trunc', '--quiet', name]);
  if (!ids.length) return [];
  const tasks = (await dockerJson<TaskInspect[]>(['inspect', '--type', 'task', ...ids])) ?? [];
  return tasks.map((t) => ({ node: t.NodeID, state: t.Status.State, error: escapeLog(t.Status.Err ?? '') }));
}

// Runs a workflow file with the local workflow runner (scripts/workflow-runner/); --help says how.
// A secret's value is read from this process's environment variable of the same name, never from
// the command line. Prints each job as it ends (a failed one with its failing step and why); exits
// 0 when the run succeeded, 1 when it failed, 2 on a usage error, 3 when the event triggers nothing.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { RUNNER_UID } from './harness.ts';
import { WorkflowRunner, jobLine, type EnvironmentSettings, type RunOptions } from './workflow-runner/index.ts';

const USAGE = `usage: node scripts/run-workflow.ts <workflow.yml> --remote <repository.git> [options]

  --remote PATH              the bare repository actions/checkout clones, owned by the runner user (uid 1001)
  --event NAME               push (default), workflow_dispatch or workflow_call
  --ref REF                  the pushed ref, or the branch a dispatch runs on (refs/heads/develop)
  --repository OWNER/NAME    github.repository (acme/auth-service)
  --run-number N             github.run_number, so that develop-<run> tags differ between runs (1)
  --default-branch NAME      the repository's default branch, for $default-branch filters (develop)
  --input NAME=VALUE         a workflow_dispatch or workflow_call input (repeatable)
  --var NAME=VALUE           a repository variable (repeatable)
  --secret NAME              a secret, its value read from the environment variable NAME (repeatable)
  --env-var ENV:NAME=VALUE   a variable of an environment (repeatable)
  --require-approval ENV     the environment has required reviewers (repeatable)
  --approve ENV              approve that environment for this run (repeatable)
  --summary FILE             also write every job's summary, as GitHub receives it, to FILE
  --help                     this text`;

function options() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        remote: { type: 'string' },
        event: { type: 'string', default: 'push' },
        ref: { type: 'string', default: 'refs/heads/develop' },
        repository: { type: 'string' },
        'run-number': { type: 'string' },
        'default-branch': { type: 'string' },
        input: { type: 'string', multiple: true, default: [] },
        var: { type: 'string', multiple: true, default: [] },
        secret: { type: 'string', multiple: true, default: [] },
        approve: { type: 'string', multiple: true, default: [] },
        'env-var': { type: 'string', multiple: true, default: [] },
        'require-approval': { type: 'string', multiple: true, default: [] },
        summary: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const { values, positionals } = options();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function pairs(list: string[], what: string): Record<string, string> {
  return Object.fromEntries(
    list.map((kv) => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`--${what} ${kv}: expected NAME=value`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    }),
  );
}

try {
  if (positionals.length !== 1 || !values.remote) throw new Error(USAGE);
  // actions/checkout runs as the runner user, and git refuses a repository another user owns
  const owner = fs.statSync(values.remote, { throwIfNoEntry: false })?.uid;
  if (owner === undefined) throw new Error(`--remote ${values.remote}: no such repository`);
  if (owner !== RUNNER_UID) throw new Error(`--remote ${values.remote} is owned by uid ${owner}; the runner user (uid ${RUNNER_UID}) must own it, as git refuses another user's repository: chown -R ${RUNNER_UID} ${values.remote}`);
  const runNumber = values['run-number'] === undefined ? undefined : Number(values['run-number']);
  if (runNumber !== undefined && !(Number.isInteger(runNumber) && runNumber > 0)) throw new Error(`--run-number ${values['run-number']}: a positive whole number`);
  if (values.repository !== undefined && !/^[\w.-]+\/[\w.-]+$/.test(values.repository)) throw new Error(`--repository ${values.repository}: owner/name`);
  if (!['push', 'workflow_dispatch', 'workflow_call'].includes(values.event)) throw new Error(`--event ${values.event}: push, workflow_dispatch or workflow_call`);
  const environments: Record<string, EnvironmentSettings> = {};
  for (const item of values['env-var']) {
    const colon = item.indexOf(':');
    if (colon <= 0) throw new Error(`--env-var ${item}: expected <environment>:NAME=value`);
    const env = (environments[item.slice(0, colon)] ??= {});
    env.vars = { ...env.vars, ...pairs([item.slice(colon + 1)], 'env-var') };
  }
  for (const e of values['require-approval']) (environments[e] ??= {}).approval = true;
  const secrets: Record<string, string> = {};
  for (const name of values.secret) {
    if (process.env[name] === undefined) throw new Error(`--secret ${name}: the environment variable ${name} is not set`);
    secrets[name] = process.env[name]!;
  }
  const run = await new WorkflowRunner({
    workflow: positionals[0]!,
    remote: values.remote,
    event: values.event as RunOptions['event'],
    ref: values.ref,
    inputs: pairs(values.input, 'input'),
    vars: pairs(values.var, 'var'),
    secrets,
    environments,
    approve: values.approve,
    repository: values.repository,
    runNumber,
    defaultBranch: values['default-branch'],
    onJob: (j) => console.log(jobLine(j)),
  }).run();
  if (!run.triggered) {
    console.log(`Nothing ran: ${positionals[0]} is not triggered by ${values.event} of ${values.ref} (its on: filters)`);
    process.exit(3);
  }
  if (values.summary) fs.writeFileSync(values.summary, run.jobs.filter((j) => j.summary.trim()).map((j) => `## ${j.id}\n\n${j.summary.trim()}\n`).join('\n'));
  console.log(`${run.result} in ${(run.ms / 1000).toFixed(1)} s; log: ${run.dir}/log.txt`);
  process.exit(run.result === 'success' ? 0 : 1);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

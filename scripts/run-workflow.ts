// Runs a workflow file with the local workflow runner (scripts/workflow-runner.ts):
//   node scripts/run-workflow.ts <workflow.yml> --remote <repository.git> [--event push] [--ref refs/heads/develop]
//     [--input name=value]... [--var NAME=value]... [--secret NAME]... [--approve <environment>]...
//     [--env-var <environment>:NAME=value]... [--require-approval <environment>]...
// A secret's value is read from this process's environment variable of the same name, never from
// the command line. Prints each job as it ends; exits 1 unless the run succeeded.
import { parseArgs } from 'node:util';
import { WorkflowRunner, jobLine, type EnvironmentSettings, type RunOptions } from './workflow-runner.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    remote: { type: 'string' },
    event: { type: 'string', default: 'push' },
    ref: { type: 'string', default: 'refs/heads/develop' },
    input: { type: 'string', multiple: true, default: [] },
    var: { type: 'string', multiple: true, default: [] },
    secret: { type: 'string', multiple: true, default: [] },
    approve: { type: 'string', multiple: true, default: [] },
    'env-var': { type: 'string', multiple: true, default: [] },
    'require-approval': { type: 'string', multiple: true, default: [] },
  },
});

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
  if (positionals.length !== 1 || !values.remote) throw new Error('usage: run-workflow.ts <workflow.yml> --remote <repository.git> [options]');
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
    onJob: (j) => console.log(jobLine(j)),
  }).run();
  if (!run.triggered) console.log(`${positionals[0]}: not triggered by ${values.event} of ${values.ref}`);
  console.log(`${run.result} in ${(run.ms / 1000).toFixed(1)} s; log: ${run.dir}/log.txt`);
  process.exit(run.result === 'success' || !run.triggered ? 0 : 1);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

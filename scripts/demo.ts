// The pipeline demo, the suite's main job: the template workflows run by the local workflow runner
// on examples/auth-service in a local bare repository, against the test bed (registry, the
// three-node swarm reached over SSH from off the cluster as a hosted runner does, HAProxy on a
// worker, moto's Route53). A push to develop (develop.yml), release 1.1.0 cut with git-flow.yml,
// its tag through release.yml (blue-green in production, DNS cut-over), and deploy.yml rolling
// integration back to the develop build. Prints each job as it ends and the report's path.
// Run with `npm run demo` (which sets up the test bed first).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PipelineBed } from './pipeline.ts';
import { AUTH_SERVICE } from './pipeline-examples.ts';
import { jobLine, type RunOptions, type WorkflowRun } from './workflow-runner/index.ts';

const started = Date.now();
const stages: { name: string; ms: number; run?: WorkflowRun }[] = [];
const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-demo-'));
const report = path.join(reportDir, 'report.md');
const bed = new PipelineBed({ ...AUTH_SERVICE, overSsh: true });
const say = (line: string) => console.log(line);

async function stage<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  say(`\n== ${name}`);
  try {
    return await fn();
  } finally {
    stages.push({ name, ms: Date.now() - t0 });
  }
}

async function workflow(name: string, file: string, event: RunOptions['event'], ref: string, extra: Partial<RunOptions> = {}): Promise<WorkflowRun> {
  const wf = await stage(name, () => bed.run(file, event, ref, { ...extra, onJob: (j) => say(`   ${jobLine(j)}`) }));
  stages.at(-1)!.run = wf;
  if (wf.result !== 'success') {
    say(wf.log.split('\n').slice(-40).join('\n'));
    throw new Error(`${file} ended ${wf.result}; its log: ${path.join(wf.dir, 'log.txt')}`);
  }
  return wf;
}

function writeReport(): void {
  const total = Date.now() - started;
  const lines = ['# Drover pipeline demo', '', `Wall time ${(total / 1000).toFixed(1)} s.`, '', '| stage | time | share |', '|---|---:|---:|'];
  for (const s of stages) lines.push(`| ${s.name} | ${(s.ms / 1000).toFixed(1)} s | ${((100 * s.ms) / total).toFixed(1)} % |`);
  for (const s of stages.filter((x) => x.run)) {
    lines.push('', `## ${s.name}`, '', '| job | result | time |', '|---|---|---:|');
    for (const j of s.run!.jobs) lines.push(`| ${j.id}${j.environment ? ` (${j.environment})` : ''} | ${j.result} | ${(j.ms / 1000).toFixed(1)} s |`);
    for (const j of s.run!.jobs.filter((x) => x.summary.trim())) lines.push('', `### ${j.id}`, '', j.summary.trim());
  }
  fs.writeFileSync(report, `${lines.join('\n')}\n`);
}

let failed = false;
try {
  await stage('set-up: repository, load balancers, Route53', () => bed.start((l) => say(`   ${l}`)));
  await workflow('develop.yml: a push to develop', 'develop.yml', 'push', 'refs/heads/develop');
  say(`   integration answers /version: ${await bed.get(`${bed.endpoints.integration}/version`)}`);
  await workflow('git-flow.yml: release 1.1.0', 'git-flow.yml', 'workflow_dispatch', 'refs/heads/develop', { inputs: { operation: 'release', version: '1.1.0' } });
  const release = await workflow('release.yml: the tag v1.1.0', 'release.yml', 'push', 'refs/tags/v1.1.0');
  say(`   production answers /version: ${await bed.get(`${bed.endpoints.production}/version`)} (active stack ${release.jobs.find((j) => j.id === 'production')?.outputs['active-stack']})`);
  say(`   ${bed.record} weights: ${JSON.stringify(await bed.weights())}`);
  await workflow('deploy.yml: roll integration back to develop-1', 'deploy.yml', 'workflow_dispatch', 'refs/heads/develop', { inputs: { version: 'develop-1', environment: 'integration' } });
  say(`   integration answers /version: ${await bed.get(`${bed.endpoints.integration}/version`)}`);
} catch (err) {
  failed = true;
  console.error(`\nThe demo failed: ${(err as Error).message}`);
} finally {
  await stage('clean-up', async () => bed.cleanup());
  writeReport();
  say(`\nWall time ${((Date.now() - started) / 1000).toFixed(1)} s; each stage's share:`);
  for (const s of stages) say(`   ${s.name}: ${(s.ms / 1000).toFixed(1)} s, ${((100 * s.ms) / (Date.now() - started)).toFixed(1)} %`);
  say(`Report: ${report}`);
}
process.exit(failed ? 1 : 0);

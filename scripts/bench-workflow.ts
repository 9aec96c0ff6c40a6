// The local workflow runner against the same work done by hand, side by side: one job that checks
// out a bare repository (depth 1) and runs ten `run:` steps, as the runner user. The runner's
// share is parsing, expressions, contexts, the file commands and the log.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkoutLikeActions } from './checkout.ts';
import { Job, RUNNER_UID } from './harness.ts';
import { WorkflowRunner } from './workflow-runner/index.ts';

const STEPS = 10;

export async function benchWorkflowRunner(rounds: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-bench-wf-'));
  fs.chmodSync(dir, 0o755);
  try {
    const remote = path.join(dir, 'remote.git');
    const work = path.join(dir, 'work');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'develop', remote]);
    execFileSync('git', ['init', '-q', '-b', 'develop', work]);
    fs.writeFileSync(path.join(work, 'VERSION'), '1.0.0\n');
    const git = (...args: string[]) => execFileSync('git', ['-C', work, '-c', 'user.name=b', '-c', 'user.email=b@b', ...args], { stdio: 'ignore' });
    git('add', '.');
    git('commit', '-q', '-m', 'one');
    git('push', '-q', remote, 'develop');
    execFileSync('chown', ['-R', String(RUNNER_UID), remote]);
    const workflow = path.join(dir, 'wf.yml');
    const steps = Array.from({ length: STEPS }, (_, i) => `      - run: echo "v${i}=$(cat VERSION)" >> "$GITHUB_OUTPUT"\n`).join('');
    fs.writeFileSync(workflow, `on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n${steps}`);

    const byHand = () => {
      const job = new Job();
      try {
        checkoutLikeActions(remote, job.workspace, { ref: 'refs/heads/develop', uid: job.uid, gid: job.gid });
        for (let i = 0; i < STEPS; i++) {
          const file = path.join(job.temp, `s${i}.sh`);
          const out = path.join(job.temp, `o${i}`);
          fs.writeFileSync(file, `echo "v${i}=$(cat VERSION)" >> "${out}"\n`);
          job.chown(job.temp);
          const r = spawnSync('bash', ['-e', file], { cwd: job.workspace, uid: job.uid, gid: job.gid });
          if (r.status !== 0) throw new Error(`step ${i} failed`);
        }
      } finally {
        job.cleanup();
      }
    };
    const byRunner = async () => {
      const run = await new WorkflowRunner({ workflow, event: 'push', ref: 'refs/heads/develop', remote, dir: fs.mkdtempSync(path.join(dir, 'run-')) }).run();
      if (run.result !== 'success') throw new Error(`the runner's run failed:\n${run.log}`);
    };
    const times: Record<'hand' | 'runner', number[]> = { hand: [], runner: [] };
    await byRunner(); // warm
    byHand();
    for (let i = 0; i < rounds; i++)
      for (const way of i % 2 ? (['runner', 'hand'] as const) : (['hand', 'runner'] as const)) {
        const t0 = process.hrtime.bigint();
        if (way === 'hand') byHand();
        else await byRunner();
        times[way].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const [h, r] = [median(times.hand), median(times.runner)];
    return [
      `The local workflow runner against the same job done by hand: a checkout (depth 1) and ${STEPS} run: steps as the runner user; median of ${rounds} alternating rounds`,
      '',
      '| subject | median ms | ratio |',
      '|---|---:|---:|',
      `| by hand: the checkout's git calls, then bash -e per step | ${h.toFixed(0)} | 1 |`,
      `| the runner: parse, contexts, expressions, file commands, log | ${r.toFixed(0)} | ${(r / h).toFixed(2)} |`,
    ].join('\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

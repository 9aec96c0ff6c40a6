/** run-workflow.ts, the local runner's CLI, as a newcomer runs it: its usage, its exits, what it prints. */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE24, ROOT } from '../../scripts/harness';
import { runnerBed } from '../support/runner-bed';

const bed = runnerBed();

describe('run-workflow.ts, the CLI a newcomer meets', () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST'))); // as a user runs it
  const cli = (...args: string[]) => spawnSync(NODE24, [path.join(ROOT, 'scripts/run-workflow.ts'), ...args], { encoding: 'utf8', env: { ...env, TOKEN: 'cli-secret-1234' } });
  const workflow = (name: string, yaml: string) => {
    const file = path.join(bed.dir(), name);
    fs.writeFileSync(file, yaml);
    return file;
  };

  it('--help prints the usage and exits 0; an unknown option names it, with the usage, and exits 2', () => {
    const help = cli('--help');
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: node scripts\/run-workflow\.ts <workflow\.yml> --remote <repository\.git> \[options\]/);
    expect(help.stdout).toContain('--run-number N');
    const bad = cli('--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--bogus'");
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('says in one line who must own the remote, takes --repository and --run-number, says why a job failed, and exits 3 when nothing is triggered', () => {
    const rootOwned = path.join(bed.dir(), `root-owned-${Date.now()}.git`);
    execFileSync('git', ['init', '-q', '--bare', rootOwned]);
    const file = workflow(`cli-${Date.now()}.yml`, `
on:
  push:
    branches: [develop]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - run: echo "version $(cat VERSION) of $REPO, run $RUN"
        env:
          REPO: \${{ github.repository }}
          RUN: \${{ github.run_number }}
      - run: echo "::error::the check failed with $TOKEN" && exit 4
        env:
          TOKEN: \${{ secrets.TOKEN }}
`);
    const refused = cli(file, '--remote', rootOwned);
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim()).toBe(`--remote ${rootOwned} is owned by uid 0; the runner user (uid 1001) must own it, as git refuses another user's repository: chown -R 1001 ${rootOwned}`);
    const ran = cli(file, '--remote', bed.remote(), '--repository', 'team/notes', '--run-number', '42', '--secret', 'TOKEN');
    expect(ran.status, ran.stdout + ran.stderr).toBe(1);
    expect(ran.stdout).toContain("build: failure in");
    expect(ran.stdout).toContain("  step 'Run echo \"::error::the check failed with $TOKEN\" && exit 4' failed:");
    expect(ran.stdout).toContain('    the check failed with ***');
    expect(ran.stdout).not.toContain('cli-secret-1234');
    const log = fs.readFileSync(/log: (\S+)/.exec(ran.stdout)![1]!, 'utf8');
    expect(log).toContain('[build] version 1.2.3 of team/notes, run 42');
    const none = cli(file, '--remote', bed.remote(), '--ref', 'refs/heads/feature');
    expect(none.status).toBe(3);
    expect(none.stdout).toContain(`Nothing ran: ${file} is not triggered by push of refs/heads/feature`);
  });

  it("shows what GitHub's run page would: each job's annotations and summary as text, and --summary writes the summaries (workflow commands: annotations; job summaries)", () => {
    const file = workflow(`summary-${Date.now()}.yml`, `
on: push
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "::warning file=src/app.ts,line=3,title=Deprecated::use the new API"
          echo "::notice::cache warm"
          echo "### Checks <code>v1 &amp; v2</code>" >> "$GITHUB_STEP_SUMMARY"
          echo "<table><tr><th>Item</th><th>Value</th></tr><tr><td>Tests</td><td>12 passed</td></tr></table>" >> "$GITHUB_STEP_SUMMARY"
`);
    const out = path.join(bed.dir(), `summary-${Date.now()}.md`);
    const ran = cli(file, '--remote', bed.remote(), '--summary', out);
    expect(ran.status, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stdout).toContain('  Warning src/app.ts:3 (Deprecated): use the new API');
    expect(ran.stdout).toContain('  Notice: cache warm');
    const log = fs.readFileSync(/log: (\S+)/.exec(ran.stdout)![1]!, 'utf8');
    expect(log).toContain('[report] summary: ### Checks v1 & v2');
    expect(log).toContain('[report] summary: Tests | 12 passed');
    expect(fs.readFileSync(out, 'utf8')).toContain('## report\n\n### Checks <code>v1 &amp; v2</code>');
  });
});


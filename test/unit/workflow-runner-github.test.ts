/**
 * The local workflow runner where GitHub's runner semantics and its sandbox matter: each test
 * cites the documentation (or the runner's source) it follows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runnerBed } from '../support/runner-bed';

const bed = runnerBed();
const run = bed.run;

describe("the local runner, as GitHub's runner behaves", () => {
  it("stands in for aws-actions/configure-aws-credentials: OIDC needs the job's id-token: write; the credentials reach later steps, masked", async () => {
    const job = (permissions: string) => `
on: push
jobs:
  dns:
    runs-on: ubuntu-latest
    permissions:
${permissions}
    steps:
      - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3
        with:
          role-to-assume: arn:aws:iam::123456789012:role/dns
          aws-region: eu-west-1
      - run: echo "region $AWS_REGION key $AWS_ACCESS_KEY_ID secret $AWS_SECRET_ACCESS_KEY"
`;
    const awsCredentials = { accessKeyId: 'ASIASTANDIN', secretAccessKey: 'stand-in-secret-key' };
    const denied = await run(job('      contents: read'), { awsCredentials });
    expect(denied.result).toBe('failure');
    expect(denied.log).toContain('configure-aws-credentials: Credentials could not be loaded: assuming a role with OIDC needs the job permission id-token: write');
    const wf = await run(job('      contents: read\n      id-token: write'), { awsCredentials });
    expect(wf.result, wf.log).toBe('success');
    expect(wf.log).toContain('[dns] region eu-west-1 key *** secret ***');
    expect(wf.log).not.toContain('stand-in-secret-key');
  });

  it('timeout-minutes kills the step and what it started, and fails it (workflow syntax: steps[*].timeout-minutes)', async () => {
    const wf = await run(`
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 100 && echo "ran to the end"
        timeout-minutes: 0.05
      - if: always()
        run: echo "after the timeout"
`);
    expect(wf.result).toBe('failure');
    expect(wf.jobs[0]!.steps[0]!.outcome).toBe('failure');
    expect(wf.log).toContain('timed out, its processes killed');
    expect(wf.log).not.toContain('[j] ran to the end');
    expect(wf.log).toContain('[j] after the timeout');
  });

  it("drops a job output that holds a secret, with GitHub's warning (contexts: needs, job outputs)", async () => {
    const wf = await run(`
on: push
jobs:
  make:
    runs-on: ubuntu-latest
    outputs:
      leak: \${{ steps.s.outputs.leak }}
      fine: \${{ steps.s.outputs.fine }}
    steps:
      - id: s
        run: |
          echo "leak=token:$TOKEN" >> "$GITHUB_OUTPUT"
          echo "fine=plain" >> "$GITHUB_OUTPUT"
        env:
          TOKEN: \${{ secrets.TOKEN }}
  use:
    needs: make
    runs-on: ubuntu-latest
    steps:
      - run: echo "leak=[$LEAK] fine=[$FINE]"
        env:
          LEAK: \${{ needs.make.outputs.leak }}
          FINE: \${{ needs.make.outputs.fine }}
`, { secrets: { TOKEN: 'tok-123456' } });
    expect(wf.result, wf.log).toBe('success');
    expect(wf.log).toContain("[make] ::warning::Skip output 'leak' since it may contain secret.");
    expect(wf.log).toContain('[use] leak=[] fine=[plain]');
  });

  it('a job with continue-on-error fails alone: the run passes (workflow syntax: jobs.<job_id>.continue-on-error)', async () => {
    const wf = await run(`
on: push
jobs:
  experimental:
    runs-on: ubuntu-latest
    continue-on-error: true
    steps:
      - run: exit 3
  main:
    runs-on: ubuntu-latest
    steps:
      - run: echo fine
`);
    expect(wf.jobs.map((j) => `${j.id}:${j.result}`)).toEqual(['experimental:failure', 'main:success']);
    expect(wf.result).toBe('success');
  });

  it('matches environment names case-insensitively, as GitHub does: Production needs the approval production requires', async () => {
    const yaml = `
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: Production
    steps:
      - run: echo "stack $STACK"
        env:
          STACK: \${{ vars.STACK }}
`;
    const environments = { production: { approval: true, vars: { STACK: 'prod-stack' } } };
    const refused = await run(yaml, { environments });
    expect(refused.result).toBe('failure');
    expect(refused.log).toContain("environment 'Production' requires an approval that was not given");
    const approved = await run(yaml, { environments, approve: ['production'] });
    expect(approved.result, approved.log).toBe('success');
    expect(approved.log).toContain('[deploy] stack prod-stack');
  });

  it("refuses NODE_OPTIONS in GITHUB_ENV with the runner's error, and never lets it overwrite GITHUB_* or RUNNER_* (the file-command paths)", async () => {
    const wf = await run(`
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "NODE_OPTIONS=--require /tmp/hook.cjs" >> "$GITHUB_ENV"
          echo "GITHUB_OUTPUT=/tmp/elsewhere" >> "$GITHUB_ENV"
          echo "RUNNER_TEMP=/tmp/elsewhere" >> "$GITHUB_ENV"
          echo "KEPT=yes" >> "$GITHUB_ENV"
      - run: echo "node_options=[$NODE_OPTIONS] output=$GITHUB_OUTPUT temp=$RUNNER_TEMP kept=$KEPT"
`);
    expect(wf.result, wf.log).toBe('success');
    expect(wf.log).toContain("[j] ::error::Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.");
    expect(wf.log).toMatch(/\[j\] node_options=\[\] output=\/\S+\/set_output_[0-9a-f-]+ temp=\/\S+ kept=yes/);
    expect(wf.log).not.toContain('output=/tmp/elsewhere');
    expect(wf.log).not.toContain('temp=/tmp/elsewhere');
  });

  it('keeps artifacts inside the workspace: no symlink out, no path out, no name that is not a plain name', async () => {
    const priv = path.join(bed.dir(), `private-${Date.now()}`);
    fs.mkdirSync(priv, { mode: 0o700 });
    fs.writeFileSync(path.join(priv, 'secret.txt'), 'root-only');
    const outside = path.join(bed.dir(), `outside-${Date.now()}`);
    const step = (uses: string, w: string) => `      - uses: actions/${uses}\n        with:\n${w}`;
    const up = 'upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2';
    const down = 'download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0';
    const wf = await run(`
on: push
jobs:
  through-a-link:
    runs-on: ubuntu-latest
    steps:
      - run: ln -s ${priv} link
${step(up, '          name: leak\n          path: link/secret.txt\n')}
  dot-dot-name:
    runs-on: ubuntu-latest
    steps:
${step(down, '          name: ".."\n          path: got\n')}
  out-of-the-workspace:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir fine && echo x > fine/a.txt
${step(up, '          name: fine\n          path: fine\n')}
${step(down, `          name: fine\n          path: ../../../../..${outside}\n`)}
`);
    const result = Object.fromEntries(wf.jobs.map((j) => [j.id, j.result]));
    expect(result).toEqual({ 'through-a-link': 'failure', 'dot-dot-name': 'failure', 'out-of-the-workspace': 'failure' });
    expect(wf.log).toMatch(/upload-artifact: link\/secret\.txt is outside the workspace/);
    expect(wf.log).toContain("artifact name '..' is not a plain name");
    expect(wf.log).toMatch(/download-artifact: path \.\.\/.* is outside the workspace/);
    expect(fs.existsSync(path.join(wf.dir, 'artifacts', 'leak'))).toBe(false);
    expect(fs.existsSync(outside)).toBe(false);
  });


  it('logs the lines between ::stop-commands:: markers as text, one that looks like ::add-mask:: too (workflow commands: stopping and starting workflow commands)', async () => {
    const wf = await run(`
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "::stop-commands::pause-token-1"
          echo "::add-mask::not-a-secret"
          echo "::warning::not a warning"
          echo "::pause-token-1::"
          echo "after not-a-secret"
`);
    expect(wf.result, wf.log).toBe('success');
    expect(wf.log).toContain('[j] ::add-mask::not-a-secret');
    expect(wf.log).toContain('[j] ::warning::not a warning');
    expect(wf.log).toContain('[j] after not-a-secret'); // nothing was masked
  });

  it('evaluates expressions in timeout-minutes and working-directory, and takes an absolute working-directory as it is (workflow syntax: steps[*].timeout-minutes, working-directory)', async () => {
    const abs = path.join(bed.dir(), `abs-${Date.now()}`);
    fs.mkdirSync(abs, { mode: 0o777 });
    fs.chmodSync(abs, 0o777);
    const wf = await run(`
on: push
env:
  SUB: sub
  LIMIT: '0.05'
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir sub
      - run: echo "in $(basename "$PWD")"
        working-directory: \${{ env.SUB }}
      - run: echo "absolute $PWD"
        working-directory: ${abs}
      - run: sleep 100
        timeout-minutes: \${{ fromJSON(env.LIMIT) }}
`);
    expect(wf.log).toContain('[j] in sub');
    expect(wf.log).toContain(`[j] absolute ${abs}`);
    expect(wf.jobs[0]!.steps.map((s) => s.outcome)).toEqual(['success', 'success', 'success', 'failure']);
    expect(wf.log).toContain('timed out, its processes killed');
  });
});

describe('the documented behaviours the templates rely on', () => {
  it('takes env from the workflow, then the job, then the step, the most specific winning (variables: defining environment variables for a single workflow)', async () => {
    const wf = await run(`
on: push
env:
  WHO: workflow
  WORKFLOW_ONLY: w
jobs:
  j:
    runs-on: ubuntu-latest
    env:
      WHO: job
      JOB_ONLY: j
    steps:
      - run: echo "who=$WHO w=$WORKFLOW_ONLY j=$JOB_ONLY"
      - run: echo "who=$WHO"
        env:
          WHO: step
`);
    expect(wf.result, wf.log).toBe('success');
    expect(wf.log).toContain('[j] who=job w=w j=j');
    expect(wf.log).toContain('[j] who=step');
  });

  it('runs run: with bash -e by default, bash with pipefail for shell: bash, and sh (workflow syntax: defaults.run.shell, exit codes and error action preference)', async () => {
    const wf = await run(`
on: push
jobs:
  default-shell:
    runs-on: ubuntu-latest
    steps:
      - run: 'false | true; echo "default, a failing pipe stage does not stop it"'
  bash:
    runs-on: ubuntu-latest
    steps:
      - shell: bash
        run: 'false | true; echo "not reached"'
  sh:
    runs-on: ubuntu-latest
    defaults:
      run:
        shell: sh
    steps:
      - run: 'echo "sh runs $(ps -o comm= -p $$)"'
`);
    const result = Object.fromEntries(wf.jobs.map((j) => [j.id, j.result]));
    expect(result).toEqual({ 'default-shell': 'success', bash: 'failure', sh: 'success' });
    expect(wf.log).toContain('[default-shell] default, a failing pipe stage does not stop it');
    expect(wf.log).not.toContain('[bash] not reached');
    expect(wf.log).toMatch(/\[sh\] sh runs (sh|dash)$/m);
  });
});

/**
 * The local workflow runner on small workflows of `run:` steps (a real bash, a real bare
 * repository checked out as actions/checkout does): needs order, status functions, contexts,
 * file commands between steps, inputs, secrets, environments, triggers, and refusals.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filterPattern, matchesFilters } from '../../scripts/workflow-runner/index.ts';
import { runnerBed } from '../support/runner-bed';

const bed = runnerBed();
const run = bed.run;

describe('local workflow runner', () => {
  it('runs jobs in needs order, carries GITHUB_OUTPUT, GITHUB_ENV and GITHUB_PATH between steps and job outputs to needs (workflow syntax: jobs.<job_id>.needs, jobs.<job_id>.outputs; workflow commands: environment files)', async () => {
    const wf = await run(`
on: push
env:
  GREETING: hello
jobs:
  last:
    needs: [first, second]
    runs-on: ubuntu-latest
    steps:
      - run: echo "got $A and $B"
        env:
          A: \${{ needs.first.outputs.word }}
          B: \${{ needs.second.outputs.word }}
  second:
    needs: first
    runs-on: ubuntu-latest
    outputs:
      word: \${{ steps.w.outputs.word }}-\${{ env.FROM_ENV }}
    steps:
      - run: |
          echo "FROM_ENV=carried" >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho tool-ran\\n' > "$RUNNER_TEMP/bin/mytool" && chmod +x "$RUNNER_TEMP/bin/mytool"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
      - id: w
        run: |
          mytool
          { echo 'word<<EOF'; echo "$FROM_ENV"; echo EOF; } >> "$GITHUB_OUTPUT"
  first:
    runs-on: ubuntu-latest
    outputs:
      word: \${{ steps.a.outputs.word }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - id: a
        run: echo "word=$GREETING-$(cat VERSION)-$(git rev-parse --abbrev-ref HEAD)" >> "$GITHUB_OUTPUT"
`);
    expect(wf.result, wf.log).toBe('success');
    expect(wf.jobs.map((j) => j.id)).toEqual(['first', 'second', 'last']);
    expect(wf.jobs[0]!.outputs.word).toBe('hello-1.2.3-develop');
    expect(wf.jobs[1]!.outputs.word).toBe('carried-carried');
    expect(wf.log).toContain('[second] tool-ran');
    expect(wf.log).toContain('[last] got hello-1.2.3-develop and carried-carried');
  });

  it('passes artifacts between jobs with upload-artifact and download-artifact, done locally', async () => {
    const wf = await run(`
on: push
jobs:
  make:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir -p out && echo "built at run $RUN" > out/result.txt
        env:
          RUN: \${{ github.run_number }}
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
        with:
          name: result
          path: out
  use:
    needs: make
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0
        with:
          name: result
          path: got
      - run: cat got/out/result.txt
`, { runNumber: 7 });
    expect(wf.result, wf.log).toBe('success');
    expect(wf.log).toContain('[use] built at run 7');
  });

  it('decides job and step if with success(), failure(), always() and cancelled(); continue-on-error keeps the job green (expressions: status check functions; workflow syntax: steps[*].continue-on-error)', async () => {
    const wf = await run(`
on: push
jobs:
  broken:
    runs-on: ubuntu-latest
    steps:
      - id: soft
        continue-on-error: true
        run: exit 3
      - run: echo "soft was \${SOFT}"
        env:
          SOFT: \${{ steps.soft.outcome }}/\${{ steps.soft.conclusion }}
      - run: exit 1
      - run: echo never
      - if: failure()
        run: echo "cleanup after failure"
      - if: always()
        run: echo "always ran"
  after:
    needs: broken
    runs-on: ubuntu-latest
    steps:
      - run: echo "after ran"
  onfailure:
    needs: broken
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: echo "on failure ran \${RESULT}"
        env:
          RESULT: \${{ needs.broken.result }}
  notcancelled:
    needs: after
    if: "!cancelled()"
    runs-on: ubuntu-latest
    steps:
      - run: echo "not cancelled ran"
`);
    expect(wf.result).toBe('failure');
    const byId = Object.fromEntries(wf.jobs.map((j) => [j.id, j]));
    expect(byId.broken!.result).toBe('failure');
    expect(byId.broken!.steps.map((s) => s.outcome)).toEqual(['failure', 'success', 'failure', 'skipped', 'success', 'success']);
    expect(wf.log).toContain('soft was failure/success');
    expect(wf.log).not.toContain('[broken] never');
    expect(wf.log).toContain('cleanup after failure');
    expect(byId.after!.result).toBe('skipped');
    expect(byId.onfailure!.result).toBe('success');
    expect(wf.log).toContain('on failure ran failure');
    expect(byId.notcancelled!.result).toBe('success');
  });

  it('types workflow_dispatch inputs (booleans stay booleans in inputs, strings in github.event.inputs) and checks choices and required ones (workflow syntax: on.workflow_dispatch.inputs; contexts: inputs)', async () => {
    const yaml = `
on:
  workflow_dispatch:
    inputs:
      version: {type: string, required: true}
      where: {type: choice, options: [integration, production], default: integration}
      dry: {type: boolean, default: false}
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: echo "v=$V where=$W dry=$D event=$E"
        env:
          V: \${{ inputs.version }}
          W: \${{ inputs.where }}
          D: \${{ inputs.dry == true }}
          E: \${{ github.event.inputs.dry == 'true' }}
`;
    const wf = await run(yaml, { event: 'workflow_dispatch', inputs: { version: '1.0.0', dry: 'true' } });
    expect(wf.log).toContain('v=1.0.0 where=integration dry=true event=true');
    await expect(run(yaml, { event: 'workflow_dispatch', inputs: { where: 'production' } })).rejects.toThrow("Input 'version' is required");
    await expect(run(yaml, { event: 'workflow_dispatch', inputs: { version: '1', where: 'staging' } })).rejects.toThrow("Input 'where' must be one of integration, production, not staging");
    await expect(run(yaml, { event: 'workflow_dispatch', inputs: { version: '1', bogus: 'x' } })).rejects.toThrow("Input 'bogus': the workflow declares no such input");
  });

  it('gives a called workflow only the secrets it declares, and its outputs (reusing workflows: using inputs and secrets, using outputs)', async () => {
    const yaml = `
on:
  workflow_call:
    inputs:
      n: {type: number, default: 2}
    secrets:
      TOKEN: {required: true}
    outputs:
      doubled:
        value: \${{ jobs.calc.outputs.doubled }}
jobs:
  calc:
    runs-on: ubuntu-latest
    outputs:
      doubled: \${{ steps.x.outputs.v }}
    steps:
      - id: x
        run: echo "v=$((N * 2)) token-set=$T other=[$O]" | tee -a "$GITHUB_OUTPUT"
        env:
          N: \${{ inputs.n }}
          T: \${{ secrets.TOKEN != '' }}
          O: \${{ secrets.OTHER }}
`;
    const wf = await run(yaml, { event: 'workflow_call', inputs: { n: 21 }, secrets: { TOKEN: 'tok-value-1', OTHER: 'not-passed' } });
    expect(wf.outputs.doubled).toMatch(/^42 token-set=true other=\[\]$/);
    await expect(run(yaml, { event: 'workflow_call', secrets: {} })).rejects.toThrow('Secret TOKEN is required by the called workflow');
  });

  it('masks secrets and what steps mask in its log, and escapes control characters (workflow commands: masking a value in a log)', async () => {
    const wf = await run(
      `
on: push
jobs:
  leak:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "the secret is $S"
          echo "::add-mask::runtime-value-9"
          echo "later: runtime-value-9"
          printf 'a\\rb\\x1b[31m\\n'
          printf 'c\\x1b]0;title\\x07\\n'
        env:
          S: \${{ secrets.PASSWORD }}
`,
      { secrets: { PASSWORD: 'hunter2-secret' } },
    );
    expect(wf.log).toContain('the secret is ***');
    expect(wf.log).toContain('later: ***');
    expect(wf.log).not.toMatch(/hunter2-secret|runtime-value-9/);
    expect(wf.log).not.toContain('\x1b');
    expect(wf.log).toMatch(/\[leak\] b$/m); // a bare \r ends a line, as on the runner; a colour code is dropped
    expect(wf.log).toContain('[leak] c\\x1b]0;title\\x07'); // any other escape sequence is shown, not acted on
  });

  it('runs an environment job only when approved, with the environment’s variables and secrets over the repository’s (managing environments for deployment: required reviewers, environment secrets and variables)', async () => {
    const yaml = `
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: echo "stack=$STACK key-set=$K"
        env:
          STACK: \${{ vars.STACK }}
          K: \${{ secrets.KEY != '' }}
`;
    const opts = { vars: { STACK: 'auth-int' }, environments: { production: { vars: { STACK: 'auth-prod' }, secrets: { KEY: 'prod-key-1' }, approval: true } } };
    const refused = await run(yaml, opts);
    expect(refused.result).toBe('failure');
    expect(refused.jobs[0]!.reason).toBe("environment 'production' requires an approval that was not given (approve it: --approve production)");
    expect(refused.jobs[0]!.steps).toEqual([]);
    const approved = await run(yaml, { ...opts, approve: ['production'] });
    expect(approved.result).toBe('success');
    expect(approved.log).toContain('stack=auth-prod key-set=true');
  });

  it('follows push filters: tags v*.*.* and the default branch (workflow syntax: on.push.<branches|tags>)', async () => {
    const yaml = `
on:
  push:
    tags: ['v*.*.*']
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "tag $REF"
        env:
          REF: \${{ github.ref_name }}/\${{ github.ref_type }}
`;
    const tagged = await run(yaml, { ref: 'refs/tags/v1.2.3' });
    expect(tagged.triggered).toBe(true);
    expect(tagged.log).toContain('tag v1.2.3/tag');
    expect((await run(yaml, { ref: 'refs/heads/develop' })).triggered).toBe(false);
    const onDefault = `on:\n  push:\n    branches: [$default-branch]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 'true'\n`;
    // GitHub fills $default-branch in only for a workflow made from an organization template: a copied file matches no branch
    const copied = await run(onDefault, { ref: 'refs/heads/develop' });
    expect(copied.triggered).toBe(false);
    expect(copied.log).toContain('warning: on.push.branches holds $default-branch, which GitHub fills in only for a workflow created from an organization template');
    expect((await run(onDefault, { ref: 'refs/tags/v1.2.3' })).triggered).toBe(false);
  });

  it.each([
    ['strategy', "  strategy:\n      matrix:\n        include: [{a: 1}]\n", "job 'j': 'strategy' (matrix) is not supported by the local runner"],
    ['services', '  services:\n      db:\n        image: mariadb:10.11\n', "job 'j': 'services' is not supported by the local runner"],
    ['container', '  container: node:24\n', "job 'j': 'container' is not supported by the local runner"],
  ])('refuses %s by name before any job runs', async (_name, extra, message) => {
    const marker = path.join(bed.dir(), `ran-${_name}`);
    const yaml = `on: push\njobs:\n  first:\n    runs-on: ubuntu-latest\n    steps:\n      - run: touch ${marker}\n  j:\n    runs-on: ubuntu-latest\n  ${extra}    steps:\n      - run: 'true'\n`;
    await expect(run(yaml)).rejects.toThrow(message);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('refuses an action it cannot run, another shell and a reusable-workflow job, by name', async () => {
    const job = (steps: string) => `on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;
    await expect(run(job('      - uses: docker/login-action@v3\n'))).rejects.toThrow("step 1: uses: docker/login-action@v3 is not supported by the local runner");
    await expect(run(job('      - run: Get-Date\n        shell: pwsh\n'))).rejects.toThrow("step 1: shell 'pwsh' is not supported by the local runner (bash, sh)");
    await expect(run('on: push\njobs:\n  call:\n    uses: ./.github/workflows/other.yml\n')).rejects.toThrow(/calling a reusable workflow|other\.yml/);
    await expect(run(job("      - run: echo \"$H\"\n        env:\n          H: ${{ hashFiles('**/package-lock.json') }}\n"))).rejects.toThrow('hashFiles() is not supported by the local runner');
  });

  it("maps a Drover action to its folder and runs its bundle (an input error fails the step, naming the input)", async () => {
    const wf = await run(`
on: push
jobs:
  dns:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/drover/actions/dns-switch@v0
        with:
          zone: example.com
          record: www.example.com
          weights: blue=256
          timeout: '60'
`);
    expect(wf.result).toBe('failure');
    expect(wf.log).toMatch(/::error::Input 'weights' is invalid/);
    // metadata syntax: inputs.<input_id>.deprecationMessage, shown when the input is used
    expect(wf.log).toContain("[dns] Warning: Input 'timeout' has been deprecated with message: Renamed sync-timeout (seconds); the old name is read until the next minor version.");
  });

  it('matches filter patterns as GitHub documents them (workflow syntax: filter pattern cheat sheet)', () => {
    expect(filterPattern('v*.*.*').test('v1.2.3')).toBe(true);
    expect(filterPattern('v*.*.*').test('v1.2')).toBe(false);
    expect(filterPattern('release/*').test('release/1.0')).toBe(true);
    expect(filterPattern('release/*').test('release/a/b')).toBe(false);
    expect(filterPattern('release/**').test('release/a/b')).toBe(true);
    expect(filterPattern('v[12].[0-9]+.[0-9]+').test('v1.10.3')).toBe(true);
    expect(matchesFilters('release/beta', ['release/**', '!release/**-alpha', '!release/beta'])).toBe(false);
    expect(matchesFilters('release/1.0', ['release/**', '!release/**-alpha'])).toBe(true);
  });
});

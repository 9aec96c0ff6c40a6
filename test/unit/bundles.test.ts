import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
// @ts-expect-error: plain ESM build script without types
import { actionNames, build } from '../../scripts/build.mjs';
import { ROOT, manifest } from '../../scripts/harness';
const names: string[] = actionNames();

/** Every file in each action's dist: the bundle and any chunk it loads on first use. */
function bundles(root: string): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((n) => fs.readdirSync(path.join(root, 'actions', n, 'dist')).map((f) => [`${n}/dist/${f}`, fs.readFileSync(path.join(root, 'actions', n, 'dist', f), 'utf8')])),
  );
}

describe('committed bundles', () => {
  it('are what a fresh build produces', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-build-'));
    try {
      await build(out);
      const fresh = bundles(out);
      const committed = bundles(ROOT);
      expect(Object.keys(committed).sort()).toEqual(Object.keys(fresh).sort());
      for (const f of Object.keys(fresh)) expect(committed[f] === fresh[f], `actions/${f} is stale: run npm run build`).toBe(true);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('differ from a build of changed source, so a stale bundle is caught', async () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-src-'));
    fs.cpSync(path.join(ROOT, 'actions'), path.join(src, 'actions'), { recursive: true, filter: (p) => !p.includes(`${path.sep}dist`) });
    const file = path.join(src, 'actions/shared/inputs.ts');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace("'InputError'", "'InputErrorChanged'"));
    try {
      await build(src, src);
      expect(bundles(src)).not.toEqual(bundles(ROOT));
    } finally {
      fs.rmSync(src, { recursive: true, force: true });
    }
  });

  it.each(names)('%s: action.yml runs one node24 bundle for main and post, and has a README', (n) => {
    const m = manifest(n);
    expect(m.runs.using).toBe('node24');
    expect(m.runs.main).toBe('dist/index.cjs');
    expect(fs.existsSync(path.join(ROOT, 'actions', n, 'README.md'))).toBe(true);
  });
});

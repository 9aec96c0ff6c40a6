import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/harness';

describe('examples/haproxy-lb', () => {
  const dir = path.join(ROOT, 'examples/haproxy-lb');

  it('has a README that documents every variable its scripts read, and points at a stack file that exists', () => {
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    const scripts = ['entrypoint.sh', 'switch.sh'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    const vars = new Set([...scripts.matchAll(/\$\{?(LB_[A-Z_]+)/g)].map((m) => m[1]!));
    expect(vars.size).toBeGreaterThan(3);
    for (const v of vars) expect(readme, v).toContain(`\`${v}\``);
    for (const [, file] of readme.matchAll(/`(examples\/[\w./-]+\.yml)`/g)) expect(fs.existsSync(path.join(ROOT, file!)), file).toBe(true);
  });
});

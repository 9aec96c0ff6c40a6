/** The steps a job can have: `run:` in the shells the runner knows, and Drover's own actions by folder. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../harness.ts';

/** How a `run:` step's script runs, by `shell:` (bash's default and its explicit form, and sh), as GitHub's runner templates them. */
export const SHELLS: Record<string, [string, ...string[]]> = { '': ['bash', '-e'], bash: ['bash', '--noprofile', '--norc', '-e', '-o', 'pipefail'], sh: ['sh', '-e'] };

/** `owner/repo/actions/<name>@ref` of the actions repository → the action's folder name. */
export function actionFolder(uses: string, actionsRepo: string): string | undefined {
  const m = /^([^@]+)\/actions\/([a-z0-9-]+)@[\w.\-/]+$/.exec(uses);
  return m && m[1] === actionsRepo && fs.existsSync(manifestPath(m[2]!)) ? m[2] : undefined;
}

export function manifestPath(action: string): string {
  return path.join(ROOT, 'actions', action, 'action.yml');
}

/**
 * A test's time budget, derived from what it waits for rather than guessed: the timeouts (in
 * seconds) of the steps it runs, each with a margin for the processes and CLI calls around the
 * wait, plus a margin for the test's own set-up and checks. A step that times out fails by its own
 * message well before the test's budget runs out, whatever the machine's speed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../scripts/harness';
export const STEP_MARGIN_S = 30;
export const TEST_MARGIN_S = 60;

export function budget(...stepTimeoutsS: number[]): number {
  return (stepTimeoutsS.reduce((sum, s) => sum + s + STEP_MARGIN_S, 0) + TEST_MARGIN_S) * 1000;
}

/** A template workflow's budget: its jobs' own timeout-minutes (GitHub's default, 360, where one has none). */
export function workflowBudget(file: string): number {
  const wf = parse(fs.readFileSync(path.join(ROOT, 'workflows-templates', file), 'utf8')) as { jobs: Record<string, { 'timeout-minutes'?: number }> };
  return budget(...Object.values(wf.jobs).map((j) => (j['timeout-minutes'] ?? 360) * 60));
}

/** What a step leaves where people and later steps can read it: its log (the ::add-mask:: commands aside, which the runner consumes), its files, outputs and state. */
import type { StepResult } from '../../scripts/harness';

export function visibleText(step: StepResult): string {
  const log = step.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
  return [log, step.stderr, step.summary, ...Object.values(step.files), JSON.stringify(step.outputs), JSON.stringify(step.state)].join('\n');
}

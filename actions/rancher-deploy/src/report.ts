/** What the deploy did, as it goes: logged at once, then the outputs and the job summary. */
import * as core from '@actions/core';
import { escapeLog } from '../../shared/exec';
import { code, seconds, text, writeSummary } from '../../shared/summary';
import type { Config } from './config';
import type { Progress } from './target';

export interface Outcome {
  previousImage: string;
  image: string;
  state: 'active' | 'upgraded' | 'rolled-back';
  activeStack?: string;
  standbyStack?: string;
}

export class Report {
  readonly started = Date.now();
  readonly steps: [string, string][] = [];

  /** A step of the deploy, logged now and listed in the summary with its time since the start. */
  step(what: string): void {
    const line = `${seconds(Date.now() - this.started)}: ${escapeLog(what)}`;
    core.info(line);
    this.steps.push([seconds(Date.now() - this.started), escapeLog(what)]);
  }

  progress(p: Progress): void {
    this.step(`${p.service}: ${p.message} (${seconds(p.atMs)} into its upgrade)`);
  }

  async finish(cfg: Config, outcome: Outcome | undefined, failure?: string): Promise<void> {
    if (outcome) {
      core.setOutput('previous-image', outcome.previousImage);
      core.setOutput('image', outcome.image);
      core.setOutput('state', outcome.state);
      core.setOutput('active-stack', outcome.activeStack ?? '');
      core.setOutput('standby-stack', outcome.standbyStack ?? '');
    }
    await writeSummary(`rancher-deploy: ${cfg.action} (${cfg.strategy}, ${cfg.target})`, [
      ['Stack', code(cfg.stack)],
      ...(cfg.services.length ? [['Services', text(...cfg.services.flatMap((s, i) => (i ? [', ', code(s)] : [code(s)])))] as const] : []),
      ...(outcome ? ([['Previous image', code(outcome.previousImage || 'none')], ['Image', code(outcome.image)]] as const) : []),
      ...(outcome?.activeStack ? ([['Active / standby', text(code(outcome.activeStack), ' / ', code(outcome.standbyStack ?? 'none'))]] as const) : []),
      ...this.steps.map(([at, what]) => [at, what] as [string, string]),
      ['Result', failure ? `failed: ${failure.split('\n')[0]!}` : `${outcome?.state ?? 'done'} in ${seconds(Date.now() - this.started)}`],
    ]);
  }
}

/**
 * What the runner shows: the run's log with its masks (secrets and what steps masked), lines
 * escaped for a terminal, a job's line on the console, a job summary as text.
 */
import type { StepResult } from '../harness.ts';
import { scanOutput } from '../runner-files.ts';
import type { JobRun } from './types.ts';

/** The run's log: every line masked, then escaped, kept and passed to `onLog`. */
export class RunLog {
  readonly masks = new Set<string>();
  readonly lines: string[] = [];

  private readonly onLog?: (line: string) => void;

  constructor(onLog?: (line: string) => void) {
    this.onLog = onLog;
  }

  /** A value never shown again: whole, and each of its lines (as GitHub masks a multi-line secret). */
  mask(value: string): void {
    for (const v of [value, ...value.split(/\r?\n/)]) if (v.trim().length > 2) this.masks.add(v);
  }

  log(line: string): void {
    const text = this.shown(line);
    this.lines.push(text);
    this.onLog?.(text);
  }

  /** A line as it may be shown: masked, then escaped. */
  shown(line: string): string {
    let text = line;
    for (const m of [...this.masks].sort((a, b) => b.length - a.length)) text = text.split(m).join('***');
    return escapeLine(text);
  }

  /** A step's output: what it masked first, then its lines (the mask commands aside). */
  step(job: string, result: StepResult): void {
    for (const m of result.masks) this.mask(m);
    // Between ::stop-commands::<token> and ::<token>:: every line is text, an ::add-mask:: too (GitHub's
    // workflow commands docs, "Stopping and starting workflow commands"); outside, a mask command is not shown.
    for (const { line, command } of scanOutput(`${result.stdout}${result.stderr}`)) if (line && command?.command !== 'add-mask') this.log(`[${job}] ${line}`);
  }

  text(): string {
    return this.lines.join('\n');
  }
}

/**
 * The control characters escaped, so a line cannot turn into something else where it is shown.
 * Unlike the toolkit's escapeLog, ESC too: this log is a file people open in a terminal. Colour
 * and cursor codes (Compose prints them) are dropped first: they carry nothing to read.
 */
export function escapeLine(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One line per job: result, time, and the environment it ran in. */
export function jobLine(job: JobRun): string {
  const env = job.environment ? ` (${job.environment})` : '';
  const line = `${job.id}${env}: ${job.result} in ${(job.ms / 1000).toFixed(1)} s${job.reason ? `: ${job.reason}` : ''}`;
  return [line, ...(job.failure ?? []).map((l) => `  ${l}`), ...(job.annotations ?? []).map((a) => `  ${a}`)].join('\n');
}

/** A job summary (Markdown with the HTML tables the toolkit writes) as lines of text, the tables' cells joined by ' | '. */
export function summaryText(summary: string): string[] {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
  return summary
    .replace(/<\/t[dh]>\s*<t[dh][^>]*>/g, ' | ')
    .replace(/<br\s*\/?>|<\/tr>|<\/h\d>|<\/p>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => entities[e]!)
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

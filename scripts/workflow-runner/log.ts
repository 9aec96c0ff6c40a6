/** What the runner shows: lines escaped for a terminal, a job's line on the console, a job summary as text. */
import type { JobRun } from './types.ts';

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

/**
 * The short job summary table every action writes. GitHub renders no Markdown inside the table's
 * HTML, so a value is shown as `<code>` or as text, always HTML-escaped (and with control
 * characters shown, as in the log): a cell is a string (text) or what code(), text() and lines()
 * build.
 */
import * as core from '@actions/core';
import { escapeLog } from './exec';

export class Cell {
  constructor(readonly html: string) {}
}

export function html(value: string): string {
  return escapeLog(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A value as code: an image, a tag, a digest, a name. */
export function code(value: string): Cell {
  return new Cell(`<code>${html(value)}</code>`);
}

/** Text and cells one after the other (strings as text). */
export function text(...parts: (string | Cell)[]): Cell {
  return new Cell(parts.map((p) => (typeof p === 'string' ? html(p) : p.html)).join(''));
}

/** Cells one per line. */
export function lines(cells: readonly (string | Cell)[]): Cell {
  return new Cell(cells.map((c) => text(c).html).join('<br>'));
}

export async function writeSummary(title: string, rows: ReadonlyArray<readonly [string | Cell, string | Cell]>): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary
    .addHeading(html(title), 3)
    .addTable([[{ data: 'Item', header: true }, { data: 'Value', header: true }], ...rows.map(([k, v]) => [text(k).html, text(v).html])])
    .write();
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The short job summary table every action writes. */
import * as core from '@actions/core';

export async function writeSummary(title: string, rows: ReadonlyArray<readonly [string, string]>): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary
    .addHeading(title, 3)
    .addTable([[{ data: 'Item', header: true }, { data: 'Value', header: true }], ...rows.map(([k, v]) => [k, v])])
    .write();
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

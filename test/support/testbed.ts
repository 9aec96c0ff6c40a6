/** The test bed started by scripts/testbed/setup.sh: its variables, and helpers over real Docker. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, testbedEnv } from '../../scripts/harness';

/** Loads the test bed's variables into process.env (a vitest setup file). */
export function loadTestbedEnv(): void {
  for (const [k, v] of Object.entries(testbedEnv())) process.env[k] ??= v;
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Copies examples/<name> into dir, without what a build leaves behind. */
export function copyExample(name: string, dir: string): void {
  fs.cpSync(path.join(ROOT, 'examples', name), dir, {
    recursive: true,
    filter: (p) => !/[\\/](node_modules|build|dist)([\\/]|$)/.test(path.relative(ROOT, p)),
  });
}

/**
 * Containers a job's steps created since `since` (a docker timestamp), from the daemon's event log:
 * those whose name or labels hold the job's run id or its folder (the actions name their builder
 * containers and Compose projects after the run id, and Compose labels each container with its
 * working folder), so that the containers of test files running beside it do not count.
 */
export function containersCreatedSince(since: string, job: { runId: string; dir: string }): string[] {
  const out = docker('events', '--since', since, '--until', new Date().toISOString(), '--filter', 'type=container', '--filter', 'event=create', '--format', '{{json .Actor.Attributes}}');
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, string>)
    .filter((attrs) => Object.values(attrs).some((v) => v.includes(job.runId) || v.includes(job.dir)))
    .map((attrs) => attrs.name ?? '?');
}

/** Files under dir not owned by uid. */
export function filesNotOwnedBy(dir: string, uid: number): string[] {
  const bad: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.uid !== uid) bad.push(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
  return bad;
}

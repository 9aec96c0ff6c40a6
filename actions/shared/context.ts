/** The runner's context, read once from the GITHUB_* and RUNNER_* variables into one typed object. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RunnerContext {
  /** GITHUB_WORKSPACE, absolute; the current directory outside a runner. */
  workspace: string;
  /** RUNNER_TEMP: a folder of this job's own; the system's temp folder outside a runner. */
  temp: string;
  eventName: string;
  /** refs/heads/<b>, refs/tags/<t>, refs/pull/<n>/merge, or '' for a detached commit. */
  ref: string;
  sha: string;
  repository: string;
  serverUrl: string;
  runId: string;
  runNumber: string;
  runAttempt: string;
  job: string;
  /** The event payload (GITHUB_EVENT_PATH), {} when there is none. */
  event: EventPayload;
}

export interface EventPayload {
  repository?: { default_branch?: string };
  pull_request?: { number?: number; head?: { ref?: string } };
  number?: number;
  [key: string]: unknown;
}

export function readContext(env: NodeJS.ProcessEnv = process.env): RunnerContext {
  return {
    workspace: path.resolve(env.GITHUB_WORKSPACE || process.cwd()),
    temp: env.RUNNER_TEMP || os.tmpdir(),
    eventName: env.GITHUB_EVENT_NAME ?? '',
    ref: env.GITHUB_REF ?? '',
    sha: env.GITHUB_SHA ?? '',
    repository: env.GITHUB_REPOSITORY ?? '',
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    runId: env.GITHUB_RUN_ID ?? '',
    runNumber: env.GITHUB_RUN_NUMBER ?? '',
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '',
    job: env.GITHUB_JOB ?? '',
    event: readEvent(env.GITHUB_EVENT_PATH),
  };
}

function readEvent(file: string | undefined): EventPayload {
  if (!file) return {};
  try {
    const event = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return event && typeof event === 'object' ? (event as EventPayload) : {};
  } catch {
    return {}; // no readable payload: a local run
  }
}

/** A folder of this step's own under the runner's temp folder, removed by the caller. */
export function tempDir(ctx: Pick<RunnerContext, 'temp'>, prefix: string): string {
  return fs.mkdtempSync(path.join(ctx.temp, `${prefix}-`));
}

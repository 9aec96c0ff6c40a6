/** What the workflow run says about the commit being packaged: event, ref, sha, run number. */
import * as fs from 'node:fs';

export interface GitContext {
  eventName: string;
  /** refs/heads/<b>, refs/tags/<t>, refs/pull/<n>/merge, or '' for a detached commit. */
  ref: string;
  sha: string;
  runNumber: string;
  repository: string;
  serverUrl: string;
  defaultBranch: string;
}

export function readGitContext(env = process.env): GitContext {
  let event: { repository?: { default_branch?: string } } = {};
  try {
    if (env.GITHUB_EVENT_PATH) event = JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as typeof event;
  } catch {
    /* no event payload: a local run */
  }
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    ref: env.GITHUB_REF ?? '',
    sha: env.GITHUB_SHA ?? '',
    runNumber: env.GITHUB_RUN_NUMBER ?? '',
    repository: env.GITHUB_REPOSITORY ?? '',
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    defaultBranch: event.repository?.default_branch ?? '',
  };
}

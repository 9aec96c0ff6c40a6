/**
 * One bundle serves main and post (runs.main and runs.post point at the same file): the main
 * stage saves `isPost`, and the runner hands it back as STATE_isPost to the post stage.
 * SIGINT/SIGTERM (a cancelled job) abort the stage's signal so it can clean up before exit.
 */
import * as core from '@actions/core';

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/**
 * Requests (fetch, http, https) go through HTTP(S)_PROXY and honour NO_PROXY when the runner
 * sets them, as @actions/http-client does; without them nothing changes.
 */
export function useProxyFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!PROXY_VARIABLES.some((name) => env[name])) return false;
  // Loaded only here: most runs have no proxy, and node:http costs start-up time.
  process.getBuiltinModule('node:http').setGlobalProxyFromEnv(env);
  return true;
}

/** An error that ends the step with a given exit code. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export type Stage = (signal: AbortSignal) => Promise<void>;

export function isPost(): boolean {
  return Boolean(process.env.STATE_isPost);
}

export function runAction(main: Stage, post?: Stage): Promise<void> {
  const inPost = isPost();
  useProxyFromEnv();
  if (!inPost) core.saveState('isPost', 'true');
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      core.warning(`Received ${sig}: cancelling and cleaning up`);
      controller.abort(new Error(`cancelled by ${sig}`));
    });
  const stage = inPost ? post : main;
  if (!stage) return Promise.resolve();
  return stage(controller.signal).catch((err: unknown) => {
    core.setFailed(err instanceof Error ? err.message : String(err));
    // A failed build passes on its script's exit code; setFailed alone would make it 1.
    const code = (err as { exitCode?: number }).exitCode;
    if (code) process.exitCode = code;
  });
}

/** State saved by main for post, as JSON. */
export function saveState(name: string, value: unknown): void {
  core.saveState(name, JSON.stringify(value));
}

export function loadState<T>(name: string): T | undefined {
  const value = core.getState(name);
  return value ? (JSON.parse(value) as T) : undefined;
}

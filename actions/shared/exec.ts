/**
 * The one process runner: argument arrays only (no shell), output streamed line by line inside
 * a log group, a timeout, cancellation through an AbortSignal, and the exit code with the last
 * lines of output kept for the error message. It knows processes, not what they print: callers
 * that care about particular lines watch them through `onLine`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';

const masked = new Set<string>();

/** Masks a value in the log (the runner's ::add-mask::) and keeps it out of every child's environment. */
export function maskSecret(value: string): void {
  if (!value) return;
  core.setSecret(value);
  masked.add(value);
}

/**
 * The environment a child starts with: the action's, less the runner's INPUT_* and STATE_*
 * variables (an action's inputs and saved state, passwords among them) and any variable holding
 * a value the action masked; then `extra`, which the caller passes on purpose.
 */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const holdsSecret = (v: string) => [...masked].some((secret) => (secret.length >= 4 ? v.includes(secret) : v === secret));
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(INPUT|STATE)_/i.test(k) && !holdsSecret(v)) env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface ExecOptions {
  cwd?: string;
  /** Added to (and overriding) the action's own environment, as childEnv() gives it. */
  env?: Record<string, string | undefined>;
  /** Written to the child's stdin, then closed: how passwords reach a CLI. */
  stdin?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Title of the log group the output streams into; without it, output streams ungrouped. */
  group?: string;
  /** Do not stream output to the log (it is still captured). */
  silent?: boolean;
  /** Keep the full stdout in the result (for commands whose output is data). */
  capture?: boolean;
  tailLines?: number;
  /** Sees every line of stdout and stderr, in order, as printed (not escaped). */
  onLine?: (line: string) => void;
  /** What the command is, for messages; defaults to the program and its first argument. */
  what?: string;
}

export interface ExecResult {
  command: string;
  code: number;
  /** Full stdout when `capture` was set, else empty. */
  stdout: string;
  /** The last lines of stdout and stderr interleaved, in order. */
  tail: string[];
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
}

export class ExecError extends Error {
  override name = 'ExecError';
  constructor(readonly result: ExecResult) {
    const tail = result.tail.length ? `\n${result.tail.map(escapeLog).join('\n')}` : '';
    super(`${result.command} ${outcome(result)}${tail}`);
  }
}

/** `exited with code N`, `timed out` or `was cancelled`. */
export function outcome(result: ExecResult): string {
  return result.timedOut ? 'timed out' : result.cancelled ? 'was cancelled' : `exited with code ${result.code}`;
}

export function succeeded(result: ExecResult): boolean {
  return result.code === 0 && !result.timedOut && !result.cancelled;
}

const KILL_GRACE_MS = 5_000;

export function exec(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const command = opts.what ?? [cmd, ...args.slice(0, 1)].join(' ');
  const keep = opts.tailLines ?? 30;
  const tail: string[] = [];
  const out: string[] = [];
  const started = Date.now();
  if (opts.group) core.startGroup(escapeLog(opts.group));
  const resume = opts.silent ? () => undefined : suspendCommands();

  return new Promise<ExecResult>((resolve, reject) => {
    let timedOut = false;
    let cancelled = false;
    const child = spawn(cmd, args, { cwd: opts.cwd, env: childEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const stop = () => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, opts.timeoutMs)
      : undefined;
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const lines = (isStdout: boolean) =>
      lineSplitter((line) => {
        tail.push(line);
        if (tail.length > keep) tail.shift();
        opts.onLine?.(line);
        if (isStdout && opts.capture) out.push(line);
        if (!opts.silent) process.stdout.write(`${escapeLog(line)}\n`);
      });
    const stdout = lines(true);
    const stderr = lines(false);
    child.stdout.on('data', stdout.push);
    child.stderr.on('data', stderr.push);
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');

    child.on('error', (err) => {
      finish();
      reject(new Error(`${cmd} could not be started: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      stdout.flush();
      stderr.flush();
      finish();
      resolve({
        command,
        code: code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 1),
        stdout: out.join('\n'),
        tail,
        durationMs: Date.now() - started,
        timedOut,
        cancelled,
      });
    });
    function finish() {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resume();
      if (opts.group) core.endGroup();
    }
  });
}

/** Runs and throws ExecError unless the command succeeded. */
export async function execOk(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const result = await exec(cmd, args, opts);
  if (!succeeded(result)) throw new ExecError(result);
  return result;
}

export interface Watcher {
  stop(): void;
}

/**
 * A long-running child whose stdout lines are events (`docker events`, say): nothing is logged,
 * and it ends when stopped or when the signal aborts.
 */
export function watch(cmd: string, args: readonly string[], onLine: (line: string) => void, signal?: AbortSignal, env: Record<string, string | undefined> = {}): Watcher {
  const child = spawn(cmd, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = lineSplitter(onLine);
  child.stdout.on('data', lines.push);
  child.on('error', () => undefined);
  const stop = () => {
    signal?.removeEventListener('abort', stop);
    child.kill();
  };
  signal?.addEventListener('abort', stop, { once: true });
  return { stop };
}

function lineSplitter(emit: (line: string) => void): { push: (chunk: Buffer) => void; flush: () => void } {
  let partial = '';
  return {
    push(chunk: Buffer) {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(emit);
    },
    flush() {
      if (partial) emit(partial);
      partial = '';
    },
  };
}

/**
 * Text from a child or a remote, made safe to log: the runner reads a bare `\r` as a line break,
 * so `\r::set-output ...` would start a workflow command. `\r` and the other control characters
 * (but tab and the escape that starts a colour) are shown as `\xNN`.
 */
export function escapeLog(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped
  return text.replace(/[\u0000-\u0008\u000a-\u001a\u001c-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Prints output a command produced earlier as a log group, as data: no workflow command in it acts. */
export function logLines(title: string, lines: readonly string[]): void {
  core.startGroup(escapeLog(title));
  const resume = suspendCommands();
  process.stdout.write(lines.map((l) => `${escapeLog(l)}\n`).join(''));
  resume();
  core.endGroup();
}

/**
 * Output of a child is data, not workflow commands: a build log must not set outputs or masks.
 * Suspends the runner's command processing until the returned function is called.
 */
function suspendCommands(): () => void {
  const token = randomUUID();
  process.stdout.write(`::stop-commands::${token}\n`);
  return () => process.stdout.write(`::${token}::\n`);
}

function signalNumber(signal: string): number | undefined {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal];
}

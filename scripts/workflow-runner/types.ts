/** The local runner's options and results, and the shapes of a workflow it reads. */
import type { StepResult } from '../harness.ts';

export type Result = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface EnvironmentSettings {
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** A required reviewer: the job runs only when the environment is in `approve`. */
  approval?: boolean;
}

export interface RunOptions {
  /** The workflow file. */
  workflow: string;
  event: 'push' | 'workflow_dispatch' | 'workflow_call';
  /** refs/heads/<b> or refs/tags/<t>: the pushed ref, or the branch a dispatch runs on. */
  ref: string;
  /** The repository (a bare repository's path) that actions/checkout clones. */
  remote: string;
  repository?: string;
  defaultBranch?: string;
  inputs?: Record<string, string | boolean | number>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  environments?: Record<string, EnvironmentSettings>;
  approve?: string[];
  /** The owner/repo whose `actions/<name>` are this checkout's actions. */
  actionsRepo?: string;
  /** What the stand-in for aws-actions/configure-aws-credentials gives for a role assumed with OIDC (the test bed's credentials). */
  awsCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  runNumber?: number;
  /** Where artifacts and logs go; a fresh folder when not given. */
  dir?: string;
  /** Told each job's result as it ends. */
  onJob?: (job: JobRun) => void;
  /** Told each log line (masked, escaped). */
  onLog?: (line: string) => void;
}

export interface StepRun {
  name: string;
  id: string;
  outcome: Result;
  conclusion: Result;
  ms: number;
  outputs: Record<string, string>;
  /** An action's inputs as the step received them. */
  with?: Record<string, string>;
  step?: StepResult;
}

export interface JobRun {
  id: string;
  name: string;
  result: Result;
  ms: number;
  outputs: Record<string, string>;
  steps: StepRun[];
  summary: string;
  environment?: string;
  /** For a failed job: the step that failed and why, masked and escaped. */
  failure?: string[];
  /** Its steps' error, warning and notice annotations, as GitHub lists them (masked, escaped). */
  annotations?: string[];
  /** Why it failed or was skipped, when the runner itself decided. */
  reason?: string;
}

export interface WorkflowRun {
  triggered: boolean;
  result: Result;
  jobs: JobRun[];
  outputs: Record<string, string>;
  ms: number;
  log: string;
  dir: string;
}

/** A feature the runner does not have, named. */
export class UnsupportedError extends Error {}

/** A token of @actions/workflow-parser's converted template. */
export interface Token {
  type: number;
  value?: unknown;
  expr?: string;
  map?: { key: Token; value: Token }[];
  seq?: Token[];
}
export const T = { String: 0, Sequence: 1, Mapping: 2, Expression: 3, Insert: 4, Boolean: 5, Number: 6, Null: 7 };

export type Contexts = Record<string, unknown>;
export type Status = { success: boolean; failure: boolean; cancelled: boolean };

export interface InputSpec {
  type?: string;
  required?: boolean;
  default?: string | boolean | number;
  options?: string[];
}

export interface StepToken {
  id: string;
  name?: Token;
  if?: Token;
  env?: Token;
  run?: Token;
  uses: Token;
  'continue-on-error'?: boolean | Token;
}
export interface JobToken {
  type: string;
  id: Token;
  name?: Token;
  needs?: Token[];
  if?: Token;
  env?: Token;
  environment?: unknown;
  concurrency?: unknown;
  strategy?: unknown;
  container?: unknown;
  services?: unknown;
  outputs?: Token;
  steps?: StepToken[];
}

/** The workflow's YAML as written, for what the converted template drops. */
export interface RawStep {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  shell?: string;
  'working-directory'?: string;
  'timeout-minutes'?: number | string;
  [key: string]: unknown;
}
export interface RawJob {
  steps?: RawStep[];
  defaults?: { run?: { shell?: string; 'working-directory'?: string } };
  'timeout-minutes'?: number | string;
  [key: string]: unknown;
}
export interface RawWorkflow {
  on?: Record<string, unknown> | string | string[];
  defaults?: { run?: { shell?: string; 'working-directory'?: string } };
  jobs: Record<string, RawJob>;
}

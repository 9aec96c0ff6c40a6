/**
 * A local workflow runner: runs a workflow file's jobs on this machine the way GitHub's runner
 * would, for the templates' end-to-end tests and the demo. Built on @actions/workflow-parser (the
 * schema, `needs`, `if`, every job and step key) and @actions/expressions (with the status
 * functions the library leaves to the runner). Jobs run one at a time in `needs` order, each in
 * a fresh runner (workspace, temp, home) through the harness; `run:` steps and Drover's actions
 * (`<actions-repo>/actions/<name>@<ref>` → actions/<name>) run as the runner user with GITHUB_ENV,
 * GITHUB_PATH and GITHUB_OUTPUT carried between steps and post steps in reverse order;
 * actions/checkout and the artifact actions are done locally. What it does not do (a matrix,
 * `services:`, `container:`, reusable-workflow jobs, other actions, other shells) is refused by
 * name before anything runs.
 */
export { WorkflowRunner } from './runner.ts';
export { evaluate, evaluateTemplate } from './expressions.ts';
export { filterPattern, matchesFilters } from './triggers.ts';
export { jobLine, summaryText } from './log.ts';
export { UnsupportedError, type EnvironmentSettings, type JobRun, type Result, type RunOptions, type StepRun, type WorkflowRun } from './types.ts';

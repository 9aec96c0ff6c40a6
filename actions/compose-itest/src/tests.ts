/** The integration tests against a ready environment: a test service, a script on the runner, HTTP checks. */
import * as core from '@actions/core';
import { StepFailure } from '../../shared/action';
import type { Compose } from '../../shared/compose';
import { exec } from '../../shared/exec';
import { failureLines } from '../../shared/test-failures';
import { runChecks, type Check } from './checks';
import type { Endpoints } from './project';

export interface TestPlan {
  root: string;
  env: Record<string, string>;
  script: string;
  testService: string;
  checks: Check[];
  testTimeoutMinutes: number;
}

/** Runs each kind of test given, in order; returns what passed, or throws what failed. */
export async function runTests(tests: TestPlan, compose: Compose, found: Endpoints, signal: AbortSignal): Promise<string> {
  const timeoutMs = tests.testTimeoutMinutes * 60_000;
  const results: string[] = [];
  if (tests.testService) {
    const res = await compose.runOnce(tests.testService, { group: `Test service ${tests.testService}`, signal, timeoutMs });
    if (res.code !== 0) throw new StepFailure(`The test service ${tests.testService} failed (exit code ${res.code}):\n${res.tail.slice(-10).join('\n')}`, res.code || 1);
    results.push(`test service ${tests.testService} passed`);
  }
  if (tests.script) {
    const failures = failureLines();
    const res = await exec('bash', ['-e', '-o', 'pipefail', '-c', tests.script], {
      what: 'The tests',
      cwd: tests.root,
      env: { ...tests.env, ...found.env, COMPOSE_PROJECT_NAME: compose.project },
      group: 'Tests',
      signal,
      timeoutMs,
      onLine: failures.onLine,
    });
    if (res.code !== 0) {
      const lines = failures.lines.length ? failures.lines : res.tail.slice(-10);
      throw new StepFailure(`The tests failed (exit code ${res.code}):\n${lines.join('\n')}`, res.code || 1);
    }
    results.push('tests passed');
  }
  if (tests.checks.length) {
    core.startGroup('HTTP checks');
    const failure = await runChecks(tests.checks, (s, p) => found.byService[s]?.[p], core.info).finally(() => core.endGroup());
    if (failure) throw new Error(`HTTP check failed: ${failure}`);
    results.push(`${tests.checks.length} HTTP checks passed`);
  }
  return results.join(', ') || 'no tests given: the environment came up';
}

/**
 * Where the test suite's time goes. With DROVER_TIMING_FILE set, every step the harness runs, every
 * image a test builds and every wait a test makes appends one line to that file, tagged with the
 * test file (DROVER_TEST_FILE, set by the tests' setup file); scripts/test-timing.ts turns the lines
 * into bench/test-suite.md. Without the variable nothing is written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** build: image builds (setup-builder, push-image, docker build); environment: stacks and Compose
 * projects brought up and health-gated (compose-itest, rancher-deploy); wait: a test waiting for a
 * server or a state; step: any other action step or script. */
export type TimingKind = 'build' | 'environment' | 'wait' | 'step';

export interface TimingRecord {
  file: string;
  kind: TimingKind;
  label: string;
  ms: number;
}

const KIND_OF_ACTION: Record<string, TimingKind> = {
  'setup-builder': 'build',
  'push-image': 'build',
  'compose-itest': 'environment',
  'rancher-deploy': 'environment',
};

export function kindOfAction(action: string): TimingKind {
  return KIND_OF_ACTION[action] ?? 'step';
}

export function recordTiming(kind: TimingKind, label: string, ms: number): void {
  const out = process.env.DROVER_TIMING_FILE;
  if (!out) return;
  const file = process.env.DROVER_TEST_FILE ?? '';
  fs.appendFileSync(out, `${JSON.stringify({ file, kind, label, ms: Math.round(ms) } satisfies TimingRecord)}\n`);
}

/** Runs fn and records how long it took. */
export async function timed<T>(kind: TimingKind, label: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    recordTiming(kind, label, performance.now() - t0);
  }
}

export function readTimings(file: string, root: string): TimingRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TimingRecord)
    .map((r) => ({ ...r, file: r.file ? path.relative(root, r.file) : '' }));
}

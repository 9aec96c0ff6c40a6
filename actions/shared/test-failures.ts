/**
 * The lines of a test run's output that read as failures (TAP's `not ok`, `FAIL`, `Error`,
 * `AssertionError`, node's `✖`), wherever they stood: a long log keeps only its tail, and the
 * failing test is often far above it.
 */
const FAILURE_LINE = /\b(not ok|fail(ed|ure|ing)?|error|assertion)\b|✖/i;
const MAX_FAILURE_LINES = 12;

export interface FailureLines {
  /** Give every output line to this (the process runner's `onLine`). */
  onLine: (line: string) => void;
  lines: string[];
}

export function failureLines(max = MAX_FAILURE_LINES): FailureLines {
  const lines: string[] = [];
  return {
    lines,
    onLine(line) {
      if (lines.length < max && FAILURE_LINE.test(line)) lines.push(line.trim());
    },
  };
}

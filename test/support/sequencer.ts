/**
 * Starts the longest test files first, by the wall times bench/test-suite.json recorded
 * (scripts/test-timing.ts), so that the longest file is not the last to start. Files it does not
 * know go first, as vitest's own sequencer does with files it has no times for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const ROOT = path.resolve(import.meta.dirname, '../..');

function recordedSeconds(): Record<string, number> {
  try {
    const files = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/test-suite.json'), 'utf8')).files as { file: string; seconds: number }[];
    return Object.fromEntries(files.map((f) => [f.file, f.seconds]));
  } catch {
    return {};
  }
}

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const seconds = recordedSeconds();
    const of = (f: TestSpecification) => seconds[path.relative(ROOT, f.moduleId)] ?? Infinity;
    return [...files].sort((a, b) => of(b) - of(a));
  }
}

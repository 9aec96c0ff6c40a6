import { defineConfig } from 'vitest/config';
// @ts-expect-error: plain ESM build script without types
import { contractJson } from './scripts/contract.mjs';
import { LongestFirst } from './test/support/sequencer.ts';

export default defineConfig({
  logLevel: 'error', // Vite's warnings about the workflow parser's source maps
  plugins: [
    {
      name: 'action-contract',
      transform(_code: string, id: string) {
        if (/[\\/]action\.yml$/.test(id)) return { code: `export default ${contractJson(id)};`, map: null };
      },
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    // Each e2e file works in its own project, stack, registry namespace and ports, and most of its
    // time is waiting on the daemon: files run side by side, the longest first. The load-measuring
    // files take a lock (test/support/load.ts) so that they measure one at a time.
    fileParallelism: true,
    maxWorkers: Number(process.env.DROVER_TEST_WORKERS ?? 4),
    sequence: { sequencer: LongestFirst },
    // A test's own budget is set where it knows what it waits for (test/support/budget.ts); this
    // default covers tests that wait on nothing but quick commands.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
    setupFiles: ['test/support/setup.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // @actions/workflow-parser imports its JSON schema without an import attribute; Vite's transform supplies it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});

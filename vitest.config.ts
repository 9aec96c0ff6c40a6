import { defineConfig } from 'vitest/config';
// @ts-expect-error: plain ESM build script without types
import { contractJson } from './scripts/contract.mjs';

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
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    reporters: ['default'],
    setupFiles: ['test/support/setup.ts'],
    // @actions/workflow-parser imports its JSON schema without an import attribute; Vite's transform supplies it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});

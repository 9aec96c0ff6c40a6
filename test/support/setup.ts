import { beforeAll, expect } from 'vitest';
import { loadTestbedEnv } from './testbed';

if (process.env.DROVER_SKIP_TESTBED !== '1') loadTestbedEnv();
// What scripts/timing.ts records is tagged with the file that waited.
beforeAll(() => {
  process.env.DROVER_TEST_FILE = expect.getState().testPath ?? '';
});

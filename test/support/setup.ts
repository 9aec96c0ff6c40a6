import { loadTestbedEnv } from './testbed';

if (process.env.DROVER_SKIP_TESTBED !== '1') loadTestbedEnv();

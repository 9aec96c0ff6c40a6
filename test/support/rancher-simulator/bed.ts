/**
 * The set-up of rancher-deploy's tests against the simulator (a TEST DOUBLE): a job whose
 * workspace holds examples/auth-service, and a fresh simulator for each test, started before
 * it and stopped after. `bed.sim` is the current test's.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { Job } from '../../../scripts/harness';
import { copyExample } from '../testbed';
import { RancherSimulator } from './index';

export function rancherBed(configure: (sim: RancherSimulator) => void = () => {}): { readonly job: Job; sim: RancherSimulator } {
  const bed = { job: new Job(), sim: new RancherSimulator() };
  beforeAll(() => {
    copyExample('auth-service', bed.job.workspace);
    bed.job.chown(bed.job.workspace);
  });
  afterAll(() => bed.job.cleanup());
  beforeEach(async () => {
    bed.sim = new RancherSimulator();
    configure(bed.sim);
    await bed.sim.start();
  });
  afterEach(() => bed.sim.stop());
  return bed;
}

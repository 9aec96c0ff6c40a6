/**
 * Once per run, before the files start side by side: builds the images several files build from
 * (the example's builder, its package, the load balancer), so that their first builds are cache
 * hits instead of the same apt-get installs at once, and makes the run's own folder (locks).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Job } from '../../scripts/harness';
import { buildLoadBalancerImage } from '../../scripts/load-balancer';
import { timed } from '../../scripts/timing';
import { copyExample, docker, loadTestbedEnv } from './testbed';

export default async function setup(): Promise<() => void> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-test-run-'));
  process.env.DROVER_TEST_RUN_DIR = runDir; // the workers inherit it
  if (process.env.DROVER_SKIP_TESTBED === '1') return () => fs.rmSync(runDir, { recursive: true, force: true });
  loadTestbedEnv();
  process.env.DROVER_TEST_FILE = 'global setup';
  const tag = `warm-${process.pid}`;
  const job = new Job();
  const images = [`auth-builder:${tag}`, `auth-service:${tag}`, `drover-haproxy-lb:${tag}`];
  await timed('build', 'the shared images', async () => {
    copyExample('auth-service', job.workspace);
    job.chown(job.workspace);
    for (const [action, inputs] of [
      ['setup-builder', { dockerfile: 'builder/Dockerfile', image: images[0]!, 'ca-bundle': '/etc/ssl/certs/ca-certificates.crt' }],
      ['push-image', { images: 'auth-service', push: 'false', version: tag, 'run-number-branches': '' }], // version: no branch tag
    ] as const) {
      const step = await job.run(action, { with: inputs });
      if (step.exitCode !== 0) throw new Error(`global setup: ${action} failed:\n${step.stdout}\n${step.stderr}`);
    }
    buildLoadBalancerImage(images[2]!);
  });
  delete process.env.DROVER_TEST_FILE;
  return () => {
    try {
      docker('rmi', '-f', ...images);
    } catch {
      // an image still in use stays: the next run reuses it
    }
    job.cleanup();
    fs.rmSync(runDir, { recursive: true, force: true });
  };
}

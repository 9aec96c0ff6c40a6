// The pipeline demo: build, package, integration-test, push; the stages that exist so far, run on examples/auth-service through the
// runner harness exactly as a workflow would run them. Run with `npm run demo`.
import { Job, testbedEnv } from './harness.ts';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const testbed = testbedEnv();
const image = `${testbed.REGISTRY}/acme/auth-service`;
const job = new Job();
fs.cpSync(path.join(root, 'examples/auth-service'), job.workspace, {
  recursive: true,
  filter: (p) => !/[\\/](node_modules|build|dist)([\\/]|$)/.test(path.relative(root, p)),
});
job.chown(job.workspace);

function show(stage: string, step: { exitCode: number | null; outputs: Record<string, string>; errors: string[] }) {
  console.log(`\n== ${stage}: exit ${step.exitCode}`);
  for (const [k, v] of Object.entries(step.outputs)) if (k !== 'metadata') console.log(`   ${k} = ${v.replace(/\n/g, ', ')}`);
  for (const e of step.errors) console.log(`   error: ${e}`);
  if (step.exitCode !== 0) process.exit(step.exitCode ?? 1);
}

try {
  const build = await job.run('setup-builder', {
    with: { dockerfile: 'builder/Dockerfile', image: 'auth-builder:demo', 'ca-bundle': '/etc/ssl/certs/ca-certificates.crt' },
  });
  show('setup-builder (compile, format check, unit tests, bundle)', build);
  console.log(`   artifact: dist/auth-service.cjs, ${fs.statSync(path.join(job.workspace, 'dist/auth-service.cjs')).size} bytes`);

  const pkg = await job.run('push-image', { with: { images: image, push: 'false' } });
  show('push-image (package the artifact, no push)', pkg);

  const itest = await job.run('compose-itest', {
    with: { env: `AUTH_IMAGE=${image}:develop`, 'rewrite-ports': 'true', checks: 'itest/checks.yml' },
  });
  show('compose-itest (auth-service with MariaDB, the e-book check)', itest);
  for (const line of itest.stdout.split('\n').filter((l) => /^(PASS|FAIL) /.test(l))) console.log(`   ${line}`);

  const published = await job.run('push-image', {
    with: { images: image, build: 'false', 'source-image': `${image}:develop`, username: testbed.REGISTRY_USER!, password: testbed.REGISTRY_PASSWORD! },
  });
  show('push-image (push develop and develop-<run>)', published);
  const logout = await job.post('push-image', published);
  console.log(`   post: ${logout?.stdout.split('\n').find((l) => l.startsWith('Logged out')) ?? 'no logout'}`);
} finally {
  job.cleanup();
}

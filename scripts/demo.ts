// The pipeline demo: the stages that exist so far, run on examples/auth-service through the
// runner harness exactly as a workflow would run them. Run with `npm run demo`.
import { Job } from '../test/support/runner.ts';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const job = new Job();
fs.cpSync(path.join(root, 'examples/auth-service'), job.workspace, {
  recursive: true,
  filter: (p) => !/[\\/](node_modules|build|dist)([\\/]|$)/.test(path.relative(root, p)),
});
job.chown(job.workspace);

function show(stage: string, step: { exitCode: number | null; outputs: Record<string, string>; errors: string[] }) {
  console.log(`\n== ${stage}: exit ${step.exitCode}`);
  for (const [k, v] of Object.entries(step.outputs)) console.log(`   ${k} = ${v}`);
  for (const e of step.errors) console.log(`   error: ${e}`);
  if (step.exitCode !== 0) process.exit(step.exitCode ?? 1);
}

try {
  const build = await job.run('setup-builder', {
    with: { dockerfile: 'builder/Dockerfile', image: 'auth-builder:demo', 'ca-bundle': '/etc/ssl/certs/ca-certificates.crt' },
  });
  show('setup-builder (compile, format check, unit tests, bundle)', build);
  console.log(`   artifact: dist/auth-service.cjs, ${fs.statSync(path.join(job.workspace, 'dist/auth-service.cjs')).size} bytes`);
} finally {
  job.cleanup();
}

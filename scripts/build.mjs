// Bundles every action: actions/<name>/src/main.ts -> actions/<name>/dist/index.cjs (main and post),
// and writes each README's input and output tables from its action.yml.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { contractPlugin } from './contract.mjs';
import { writeDocs } from './docs.mjs';

const root = path.resolve(import.meta.dirname, '..');
// @actions/core, @actions/tool-cache and @actions/github call HTTP through @actions/http-client
// and undici; the runtime's fetch serves them (actions/shared/http-client.ts), so bundles carry no undici.

export function actionNames(srcRoot = root) {
  return fs
    .readdirSync(path.join(srcRoot, 'actions'))
    .filter((name) => fs.existsSync(path.join(srcRoot, 'actions', name, 'src/main.ts')))
    .sort();
}

/** Builds the actions under srcRoot into outRoot (both default to the repository). */
export async function build(outRoot = root, srcRoot = root) {
  const httpClient = path.join(srcRoot, 'actions/shared/http-client.ts');
  const fetchForHttpClient = {
    name: 'fetch-for-http-client',
    setup(b) {
      b.onResolve({ filter: /^(@actions\/http-client(\/.*)?|undici)$/ }, () => ({ path: httpClient }));
    },
  };
  // A package too large to parse on every start goes to a file of its own beside the bundle,
  // required when the code first imports it (after the inputs are validated).
  const lazyChunks = {
    name: 'lazy-chunks',
    setup(b) {
      for (const [pkg, file] of Object.entries(LAZY))
        b.onResolve({ filter: new RegExp(`^${pkg.replace(/[/]/g, '\\/')}$`) }, (args) => (args.importer.includes('node_modules') ? undefined : { path: `./${file}`, external: true }));
    },
  };
  for (const name of actionNames(srcRoot)) {
    const outfile = path.join(outRoot, 'actions', name, 'dist/index.cjs');
    await esbuild.build({
      ...bundleOptions(path.join(srcRoot, 'actions', name, 'src/main.ts'), outfile),
      plugins: [contractPlugin, fetchForHttpClient, lazyChunks],
    });
    const bundle = fs.readFileSync(outfile, 'utf8');
    for (const [pkg, file] of Object.entries(LAZY))
      if (bundle.includes(`"./${file}"`))
        await esbuild.build({
          ...bundleOptions(undefined, path.join(path.dirname(outfile), file)),
          entryPoints: undefined,
          // From the package's ES modules, so the chunk lists its exports for Node's import() of a CommonJS file.
          stdin: { contents: `export * from ${JSON.stringify(pkg)};`, resolveDir: srcRoot, loader: 'js' },
          mainFields: ['module', 'main'],
        });
  }
}

/** Packages each bundled into a file of its own, loaded on first use. */
const LAZY = { '@aws-sdk/client-route-53': 'aws-sdk.cjs' };

/** One action's bundle: CommonJS for node20 and later, minified, main and post in one file. */
export function bundleOptions(entry, outfile) {
  return {
    entryPoints: [entry],
    nodePaths: [path.join(root, 'node_modules')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [contractPlugin],
  };
}

if (process.argv[1] === import.meta.filename) {
  await build(process.argv[2] ? path.resolve(process.argv[2]) : root);
  if (!process.argv[2]) for (const name of writeDocs(root, actionNames())) console.log(`actions/${name}/README.md: tables written from action.yml`);
}

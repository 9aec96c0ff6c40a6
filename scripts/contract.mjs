// action.yml as the code's contract: the inputs' names, defaults and required flags, as data the
// bundles and the tests import (`import contract from '../action.yml'`). Descriptions stay out of
// the bundles; the README tables are written from the same file (scripts/docs.mjs).
import * as fs from 'node:fs';
import { parse } from 'yaml';

/** The contract of one action.yml, as a JSON string. */
export function contractJson(file) {
  const manifest = parse(fs.readFileSync(file, 'utf8'));
  const inputs = {};
  for (const [name, spec] of Object.entries(manifest.inputs ?? {}))
    inputs[name] = { ...(spec?.default !== undefined ? { default: String(spec.default) } : {}), ...(spec?.required ? { required: true } : {}) };
  return JSON.stringify({ inputs });
}

/** The esbuild plugin that loads action.yml as its contract. */
export const contractPlugin = {
  name: 'action-contract',
  setup(b) {
    b.onLoad({ filter: /[\\/]action\.yml$/ }, (args) => ({ contents: contractJson(args.path), loader: 'json' }));
  },
};

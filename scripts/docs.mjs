// Each action's README tables of inputs and outputs, written from its action.yml between the
// markers `<!-- inputs -->` ... `<!-- /inputs -->` and `<!-- outputs -->` ... `<!-- /outputs -->`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

const cell = (text) => String(text ?? '').replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();
const code = (text) => (text === undefined || text === '' ? '' : `\`${cell(text)}\``);

export function inputsTable(manifest) {
  const rows = Object.entries(manifest.inputs ?? {}).map(
    ([name, spec]) => `| \`${name}\` | ${spec?.required ? 'yes' : 'no'} | ${code(spec?.default)} | ${cell(spec?.description)} |`,
  );
  return ['| input | required | default | description |', '|---|---|---|---|', ...rows].join('\n');
}

export function outputsTable(manifest) {
  const rows = Object.entries(manifest.outputs ?? {}).map(([name, spec]) => `| \`${name}\` | ${cell(spec?.description)} |`);
  return ['| output | description |', '|---|---|', ...rows].join('\n');
}

/** The README with its tables written from action.yml. */
export function readmeWithTables(readme, manifest) {
  let out = readme;
  for (const [marker, table] of [
    ['inputs', inputsTable(manifest)],
    ['outputs', outputsTable(manifest)],
  ]) {
    const re = new RegExp(`<!-- ${marker} -->[\\s\\S]*?<!-- /${marker} -->`);
    if (!re.test(out)) throw new Error(`The README has no <!-- ${marker} --> ... <!-- /${marker} --> block`);
    out = out.replace(re, `<!-- ${marker} -->\n${table}\n<!-- /${marker} -->`);
  }
  return out;
}

/** Rewrites the README of every action whose tables differ from its action.yml; returns the ones it changed. */
export function writeDocs(root, names) {
  const changed = [];
  for (const name of names) {
    const dir = path.join(root, 'actions', name);
    const file = path.join(dir, 'README.md');
    const readme = fs.readFileSync(file, 'utf8');
    const next = readmeWithTables(readme, parse(fs.readFileSync(path.join(dir, 'action.yml'), 'utf8')));
    if (next !== readme) {
      fs.writeFileSync(file, next);
      changed.push(name);
    }
  }
  return changed;
}

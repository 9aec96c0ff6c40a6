/**
 * action.yml is the contract, written once: the code takes every input's name, default and
 * required flag from it (imported at build time), and each README's tables are written from it.
 * These tests fail on any difference between the three.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error: plain ESM build script without types
import { actionNames } from '../../scripts/build.mjs';
// @ts-expect-error: plain ESM build script without types
import { readmeWithTables } from '../../scripts/docs.mjs';
import { ROOT } from '../../scripts/harness';
import { Inputs, type Contract } from '../../actions/shared/inputs';
import composeItest from '../../actions/compose-itest/action.yml';
import gitFlowRelease from '../../actions/git-flow-release/action.yml';
import pushImage from '../../actions/push-image/action.yml';
import setupBuilder from '../../actions/setup-builder/action.yml';
import rancherDeploy from '../../actions/rancher-deploy/action.yml';
import dnsSwitch from '../../actions/dns-switch/action.yml';
import { readConfig as readComposeItest } from '../../actions/compose-itest/src/config';
import { readConfig as readGitFlowRelease } from '../../actions/git-flow-release/src/config';
import { readConfig as readPushImage } from '../../actions/push-image/src/config';
import { readConfig as readSetupBuilder } from '../../actions/setup-builder/src/config';
import { readConfig as readRancherDeploy } from '../../actions/rancher-deploy/src/config';
import { readConfig as readDnsSwitch } from '../../actions/dns-switch/src/config';

const names: string[] = actionNames();
const manifest = (n: string) => parse(fs.readFileSync(path.join(ROOT, 'actions', n, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: unknown; required?: boolean }> };

/** Each action's config reader, its contract, and the fewest inputs it accepts. */
const readers: Record<string, { contract: Contract; given: Record<string, string>; read: (root: string, i: Inputs) => unknown }> = {
  'compose-itest': { contract: composeItest, given: {}, read: readComposeItest },
  'git-flow-release': { contract: gitFlowRelease, given: { version: '1.1.0' }, read: readGitFlowRelease },
  'push-image': { contract: pushImage, given: { images: 'r/a' }, read: readPushImage },
  'setup-builder': { contract: setupBuilder, given: { image: 'b:1' }, read: readSetupBuilder },
  'rancher-deploy': {
    contract: rancherDeploy,
    // The inputs that are read only when others are given (rollout overrides, HTTPS, scale-down).
    given: {
      stack: 'auth', services: 'web', image: 'r/a:1', 'batch-size': '1', 'batch-interval': '1', 'start-first': 'true', 'scale-down-after': '5',
      certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', 'certificate-key': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
      'rancher-url': 'https://rancher.example.com', 'rancher-access-key': 'KEY', 'rancher-secret-key': 'secret',
    },
    read: (root, i) => readRancherDeploy(root, i, {}),
  },
  'dns-switch': { contract: dnsSwitch, given: { zone: 'example.com', record: 'api.example.com', 'canary-steps': '10,100', 'canary-to': 'green' }, read: (_root, i) => readDnsSwitch(i) },
};

describe('the contract, written once in action.yml', () => {
  it('covers every action', () => {
    expect(Object.keys(readers).sort()).toEqual(names);
  });

  it.each(names)('%s: the imported contract is action.yml, defaults and required flags included', (n) => {
    const declared = manifest(n).inputs;
    const expected = Object.fromEntries(
      Object.entries(declared).map(([k, v]) => [k, { ...(v.default !== undefined ? { default: String(v.default) } : {}), ...(v.required ? { required: true } : {}) }]),
    );
    expect(readers[n]!.contract.inputs).toEqual(expected);
  });

  it.each(names)('%s: the code reads every input action.yml declares, and no other', async (n) => {
    const { contract, given, read } = readers[n]!;
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-contract-'));
    fs.writeFileSync(path.join(root, 'docker-compose.yml'), 'services: {}\n');
    try {
      const inputs = new Inputs(contract, Object.fromEntries(Object.entries(given).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])));
      await read(root, inputs);
      expect([...inputs.read].sort()).toEqual(Object.keys(manifest(n).inputs).sort());
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it.each(names)('%s: the README tables are the ones action.yml gives (npm run build writes them)', (n) => {
    const readme = fs.readFileSync(path.join(ROOT, 'actions', n, 'README.md'), 'utf8');
    expect(readme).toBe(readmeWithTables(readme, manifest(n)));
  });
});

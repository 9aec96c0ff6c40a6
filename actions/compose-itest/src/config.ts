/** compose-itest's inputs, read and validated before anything starts. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import contract from '../action.yml';
import { checkEnvVars } from '../../shared/compose';
import { InputError, Inputs, insideRoot, rejectReservedEnv } from '../../shared/inputs';
import { parseChecks, type Check } from './checks';
import { PROJECT_RE } from './project';
import { parsePortWait, type PortWait } from './readiness';

export interface Config {
  root: string;
  files: string[];
  projectName: string;
  instance: string;
  env: Record<string, string>;
  services: string[];
  pull: 'missing' | 'always' | 'never';
  build: boolean;
  waitTimeoutSeconds: number;
  waitFor: PortWait[];
  rewritePorts: boolean;
  script: string;
  testService: string;
  checks: Check[];
  testTimeoutMinutes: number;
  keepOnFailure: boolean;
  downTimeoutSeconds: number;
  composeVersion: 'auto' | 'v2' | 'v1';
  composePlugin: { version: string; url: string };
}

const SERVICE_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export async function readConfig(root: string, input = new Inputs(contract)): Promise<Config> {
  const files = input.list('compose-files', { commas: false }).map((f) => {
    const abs = insideRoot('compose-files', f, root);
    if (!fs.existsSync(abs)) throw new InputError('compose-files', f, 'compose files that exist inside the workspace');
    return abs;
  });
  const services = input.list('services');
  for (const s of services) if (!SERVICE_RE.test(s)) throw new InputError('services', s, 'service names');
  const waitFor = input.list('wait-for').map((w) => parsePortWait(w) ?? fail('wait-for', w, 'service:port or service:port/http-path lines'));
  const checksFile = input.workspacePath('checks', root);
  let checks: Check[] = [];
  if (checksFile) {
    if (!fs.existsSync(checksFile)) throw new InputError('checks', checksFile, 'a check file inside the workspace');
    try {
      checks = await parseChecks(fs.readFileSync(checksFile, 'utf8'));
    } catch (err) {
      throw new InputError('checks', path.relative(root, checksFile), `a valid check file (${(err as Error).message})`);
    }
  }
  const env = input.keyValues('env');
  rejectReservedEnv('env', env);
  checkEnvVars('env', env);
  return {
    root,
    files,
    projectName: input.string('project-name', { pattern: PROJECT_RE, accepted: 'lower-case letters, digits, - and _, starting with a letter or digit' }),
    instance: input.string('instance', { pattern: /^[a-zA-Z0-9_-]{0,20}$/, accepted: 'up to 20 letters, digits, - and _' }),
    env,
    services,
    pull: input.choice('pull', ['missing', 'always', 'never'] as const),
    build: input.boolean('build'),
    waitTimeoutSeconds: input.integer('wait-timeout', { min: 1, max: 3600 }),
    waitFor,
    rewritePorts: input.boolean('rewrite-ports'),
    script: input.string('run', { multiline: true, accepted: 'a bash script' }),
    testService: input.string('test-service', { pattern: SERVICE_RE, accepted: 'a service name' }),
    checks,
    testTimeoutMinutes: input.integer('test-timeout-minutes', { min: 1, max: 360 }),
    keepOnFailure: input.boolean('keep-on-failure'),
    downTimeoutSeconds: input.integer('down-timeout', { min: 0, max: 600 }),
    composeVersion: input.choice('compose-version', ['auto', 'v2', 'v1'] as const),
    composePlugin: {
      version: input.string('compose-plugin-version', { pattern: /^\d+\.\d+\.\d+$/, accepted: 'a version such as 2.32.1' }),
      url: input.string('compose-plugin-url', { pattern: /^https:\/\/\S+$/, accepted: 'an https URL' }),
    },
  };
}

function fail(name: string, value: string, accepted: string): never {
  throw new InputError(name, value, accepted);
}

/** rancher-deploy's inputs, read and validated against action.yml before any request or container. */
import * as fs from 'node:fs';
import contract from '../action.yml';
import { IMAGE_REF_ACCEPTED, IMAGE_REF_RE, parseImageRef, registryOf } from '../../shared/image-ref';
import { InputError, Inputs } from '../../shared/inputs';
import { resolveLocalFiles } from './stack-files';
import { maskSecret } from '../../shared/exec';
import { isLoopback } from '../../shared/rancher-wire';
import { checkSshMaterial, parseSshHost, type SshHost } from '../../shared/ssh';
import { checkTlsMaterial, parseTcpHost, type TcpHost, type TlsMaterial } from '../../shared/docker-tls';

export type Target = 'rancher' | 'swarm';

export interface RancherAccess {
  url: string;
  accessKey: string;
  secretKey: string;
  environment: string;
}

/** What may be left unset, so rancher-compose.yml's upgrade_strategy can decide. */
export interface RolloutInputs {
  batchSize?: number;
  intervalMs?: number;
  startFirst?: boolean;
}

export interface Certificate {
  name: string;
  cert: string;
  key: string;
  httpsPort: number;
}

export interface Config {
  target: Target;
  action: 'deploy' | 'confirm' | 'rollback';
  strategy: 'rolling' | 'blue-green';
  stack: string;
  services: string[];
  image: string;
  composeFile: string;
  rancherComposeFile: string;
  /** The text of rancher-compose.yml, '' when there is none. */
  rancherCompose: string;
  dockerCompose: string;
  /** Swarm: the runner files the compose file names, by their real paths inside the workspace. */
  localFiles: Record<string, string>;
  variables: Record<string, string>;
  rollout: RolloutInputs;
  pull: boolean;
  timeoutMs: number;
  confirm: boolean;
  leftovers: 'rollback' | 'finish';
  lbService: string;
  verifyUrl: string;
  scaleDownAfterMs?: number;
  certificate?: Certificate;
  /** Swarm: a manager reached over SSH, with the key and the known hosts. */
  swarmSsh?: { host: SshHost; key: string; knownHosts: string };
  /** Swarm: a manager's engine over TCP with TLS both ways, with the CA, the client certificate and its key. */
  swarmTls?: { host: TcpHost } & TlsMaterial;
  /** Swarm: the registry of the image, logged in to for the deploy. */
  registryLogin?: { registry: string; username: string; password: string };
  rancher?: RancherAccess;
  requestTimeoutMs: number;
  retries: number;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$/;
const NAME_ACCEPTED = 'a name of letters, digits and - (at most 63, not starting with -)';
const PEM_CERT = /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----/;
const PEM_KEY = /^-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END (RSA |EC |ENCRYPTED )?PRIVATE KEY-----\s*$/;

export function readConfig(root: string, input = new Inputs(contract), env: NodeJS.ProcessEnv = process.env): Config {
  const target = input.choice('target', ['rancher', 'swarm'] as const);
  const action = input.choice('action', ['deploy', 'confirm', 'rollback'] as const);
  const strategy = input.choice('strategy', ['rolling', 'blue-green'] as const);
  const stack = input.string('stack', { pattern: NAME_RE, accepted: NAME_ACCEPTED });
  if (strategy === 'blue-green' && stack.length > 57) throw new InputError('stack', stack, `${NAME_ACCEPTED}, at most 57 for blue-green (-green is added)`);
  const services = input.list('services');
  for (const s of services) if (!NAME_RE.test(s)) throw new InputError('services', s, `service names: ${NAME_ACCEPTED}`);
  const image = input.string('image', { pattern: IMAGE_REF_RE, accepted: IMAGE_REF_ACCEPTED });
  if (action === 'deploy' && !image) throw new InputError('image', '', `${IMAGE_REF_ACCEPTED} (required for action: deploy)`);
  if (action === 'deploy' && strategy === 'rolling' && !services.length) throw new InputError('services', '', 'at least one service to upgrade (required for a rolling deploy)');
  const composeFile = input.workspacePath('compose-file', root);
  const rancherComposeFile = input.workspacePath('rancher-compose-file', root);

  const rollout: RolloutInputs = {};
  if (input.raw('batch-size')) rollout.batchSize = input.integer('batch-size', { min: 1, max: 1000 });
  if (input.raw('batch-interval')) rollout.intervalMs = secondsInput(input, 'batch-interval', 0, 3600);
  if (input.raw('start-first')) rollout.startFirst = input.boolean('start-first');

  const lbService = input.string('lb-service', { pattern: /^([a-zA-Z0-9][a-zA-Z0-9-]{0,62}\/)?[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, accepted: 'stack/service (Rancher) or a swarm service name' });
  if (strategy === 'blue-green' && !lbService) throw new InputError('lb-service', '', 'the load balancer (required for blue-green)');
  if (target === 'rancher' && lbService && !lbService.includes('/')) throw new InputError('lb-service', lbService, 'stack/service on Rancher');
  const verifyUrl = input.httpUrl('verify-url');
  const scaleDownAfterMs = input.raw('scale-down-after') ? secondsInput(input, 'scale-down-after', 0, 86_400) : undefined;
  const certificate = readCertificate(input, stack);
  const registryLogin = readRegistryLogin(input, image, action);

  const timeoutMs = secondsInput(input.rename('timeout', 'health-timeout'), 'health-timeout', 1, 6 * 3600);
  const requestTimeoutMs = secondsInput(input, 'request-timeout', 1, 600);
  const retries = input.integer('retries', { min: 0, max: 10 });
  const rancher = target === 'rancher' ? readRancherAccess(input, env) : undefined;
  const { swarmSsh, swarmTls } = readSwarmRemote(input, target);

  const needsFiles = action !== 'confirm'; // a blue-green rollback brings a parked stack back to their scales
  const dockerCompose = needsFiles && fs.existsSync(composeFile) ? fs.readFileSync(composeFile, 'utf8') : '';
  const variables = input.keyValues('variables');
  return {
    target,
    action,
    strategy,
    stack,
    services,
    image,
    composeFile,
    rancherComposeFile,
    dockerCompose,
    localFiles: target === 'swarm' && dockerCompose ? resolveLocalFiles(dockerCompose, variables, composeFile, root) : {},
    rancherCompose: needsFiles && rancherComposeFile && fs.existsSync(rancherComposeFile) ? fs.readFileSync(rancherComposeFile, 'utf8') : '',
    variables,
    rollout,
    pull: input.boolean('pull'),
    timeoutMs,
    confirm: input.boolean('confirm'),
    leftovers: input.choice('leftovers', ['rollback', 'finish'] as const),
    lbService,
    verifyUrl,
    scaleDownAfterMs,
    certificate,
    registryLogin: target === 'swarm' ? registryLogin : undefined, // Rancher pulls with its environment's registries
    swarmSsh,
    swarmTls,
    rancher,
    requestTimeoutMs,
    retries,
  };
}

/** A number of seconds (decimals allowed), in milliseconds. */
function secondsInput(input: Inputs, name: string, min: number, max: number): number {
  const value = input.string(name);
  const n = Number(value);
  if (!/^\d+(\.\d{1,3})?$/.test(value) || n < min || n > max) throw new InputError(name, value, `seconds from ${min} to ${max}`);
  return Math.round(n * 1000);
}

function readCertificate(input: Inputs, stack: string): Certificate | undefined {
  const key = input.string('certificate-key', { secret: true, multiline: true });
  const cert = input.string('certificate', { multiline: true });
  if (!cert && !key) return undefined;
  if (!PEM_CERT.test(normalizePem(cert))) throw new InputError('certificate', cert.slice(0, 40), 'a PEM certificate (-----BEGIN CERTIFICATE----- ...)');
  if (!PEM_KEY.test(normalizePem(key))) throw new InputError('certificate-key', key, 'a PEM private key (-----BEGIN PRIVATE KEY----- ...)', true);
  return {
    name: input.string('certificate-name', { pattern: NAME_RE, accepted: NAME_ACCEPTED }) || `${stack}-cert`,
    cert: normalizePem(cert),
    key: normalizePem(key),
    httpsPort: input.integer('https-port', { min: 1, max: 65535 }),
  };
}

/**
 * A swarm manager from off the cluster: over SSH (the host, its key and its known hosts) or over
 * TCP with TLS both ways (the host, the CA, a client certificate and its key); all or none.
 */
function readSwarmRemote(input: Inputs, target: Target): Pick<Config, 'swarmSsh' | 'swarmTls'> {
  const key = input.string('swarm-ssh-key', { secret: true, multiline: true });
  const knownHosts = input.string('swarm-known-hosts', { multiline: true });
  const tls = { ca: input.string('swarm-tls-ca', { multiline: true }), cert: input.string('swarm-tls-cert', { multiline: true }), key: input.string('swarm-tls-key', { secret: true, multiline: true }) };
  const value = input.string('swarm-host');
  if (!value && !key && !knownHosts && !tls.ca && !tls.cert && !tls.key) return {};
  if (target !== 'swarm') throw new InputError('swarm-host', value, 'empty unless target is swarm');
  if (value.startsWith('tcp://')) {
    const host = parseTcpHost(value);
    if (!host) throw new InputError('swarm-host', value, 'tcp://host:port (an engine with TLS)');
    if (key || knownHosts) throw new InputError(key ? 'swarm-ssh-key' : 'swarm-known-hosts', key ? '' : knownHosts, 'empty with a tcp:// swarm-host', Boolean(key));
    if (!tls.ca) throw new InputError('swarm-tls-ca', '', "the CA of swarm-host's engine certificate: an engine on TCP is used with TLS both ways only");
    if (!tls.cert) throw new InputError('swarm-tls-cert', '', 'the client certificate swarm-host trusts');
    if (!tls.key) throw new InputError('swarm-tls-key', '', 'the private key of swarm-tls-cert', true);
    checkTlsMaterial(tls, { ca: 'swarm-tls-ca', cert: 'swarm-tls-cert', key: 'swarm-tls-key' });
    return { swarmTls: { host, ...tls } };
  }
  const host = parseSshHost(value);
  if (!host) throw new InputError('swarm-host', value, 'ssh://user@host[:port] (a manager reached over SSH) or tcp://host:port (its engine with TLS)');
  if (tls.ca || tls.cert || tls.key) throw new InputError(tls.key ? 'swarm-tls-key' : tls.cert ? 'swarm-tls-cert' : 'swarm-tls-ca', tls.key ? '' : tls.cert || tls.ca, 'empty with an ssh:// swarm-host', Boolean(tls.key));
  if (!key) throw new InputError('swarm-ssh-key', '', 'the private key for swarm-host', true);
  if (!knownHosts) throw new InputError('swarm-known-hosts', '', "known_hosts lines for swarm-host: its host key is never taken on trust");
  checkSshMaterial(key, knownHosts, { key: 'swarm-ssh-key', knownHosts: 'swarm-known-hosts' });
  return { swarmSsh: { host, key, knownHosts } };
}

/**
 * Both or neither. A rollback or confirm given no image logs in nowhere: its nodes run images
 * they have pulled already, so a workflow may pass the same inputs to every action.
 */
function readRegistryLogin(input: Inputs, image: string, action: Config['action']): Config['registryLogin'] {
  const password = input.string('registry-password', { secret: true });
  const username = input.string('registry-username', { pattern: /^[^\s:]+$/, accepted: 'a registry user name without spaces or :' });
  if (!password && !username) return undefined;
  if (!username) throw new InputError('registry-username', '', 'the user of registry-password');
  if (!password) throw new InputError('registry-password', '', 'the password or token of registry-username', true);
  if (!image && action !== 'deploy') return undefined;
  if (!image) throw new InputError('image', '', 'the image whose registry registry-username logs in to');
  return { registry: registryOf(parseImageRef(image)!.repository), username, password };
}

function normalizePem(text: string): string {
  return `${text.replace(/\r\n/g, '\n').trim()}\n`;
}

/** Inputs first, then the conventional RANCHER_* variables (rancher-compose, the rancher CLI). */
function readRancherAccess(input: Inputs, env: NodeJS.ProcessEnv): RancherAccess {
  const or = (value: string, variable: string) => value || (env[variable] ?? '').trim();
  const secretKey = or(input.string('rancher-secret-key', { secret: true }), 'RANCHER_SECRET_KEY');
  if (secretKey) maskSecret(secretKey); // from the environment too
  const accessKey = or(input.string('rancher-access-key', { pattern: /^[A-Za-z0-9_-]+$/, accepted: 'an API access key' }), 'RANCHER_ACCESS_KEY');
  const url = input.httpUrl('rancher-url', (env.RANCHER_URL ?? '').trim());
  if (!url) throw new InputError('rancher-url', '', 'the Rancher server URL (or RANCHER_URL)');
  if (!url.startsWith('https://') && !isLoopback(new URL(url).hostname)) throw new InputError('rancher-url', url, 'an https:// URL (the API key is sent with every request; http:// only to this machine)');
  if (!accessKey) throw new InputError('rancher-access-key', '', 'an API access key (or RANCHER_ACCESS_KEY)');
  if (!secretKey) throw new InputError('rancher-secret-key', '', 'an API secret key (or RANCHER_SECRET_KEY)', true);
  const environment = or(input.rename('environment', 'rancher-environment').string('rancher-environment'), 'RANCHER_ENVIRONMENT');
  if (/[\r\n]/.test(environment)) throw new InputError('rancher-environment', environment, 'an environment name or id on one line');
  return { url, accessKey, secretKey, environment };
}

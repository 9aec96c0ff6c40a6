/**
 * The docker CLI reaching a remote engine over SSH, as a runner off the cluster deploys to a
 * swarm manager (`DOCKER_HOST=ssh://user@host:port`). The private key and the known hosts go to
 * 0600 files in a private folder, and ssh is told to use them and nothing else: the host's key
 * must be in the known hosts given (StrictHostKeyChecking yes, never accept-new), no agent, no
 * user or system config, no password prompt. The CLI finds that ssh first on its PATH.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { escapeLog, exec } from './exec';
import { InputError } from './inputs';

export interface SshHost {
  user: string;
  host: string;
  port: number;
}

/** ssh://user@host[:port], a host name or an IPv4 address; undefined for anything else. */
export function parseSshHost(value: string): SshHost | undefined {
  const m = /^ssh:\/\/([a-z_][a-z0-9_.-]{0,31})@([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return undefined;
  const port = m[3] ? Number(m[3]) : 22;
  return port >= 1 && port <= 65535 ? { user: m[1]!, host: m[2]!, port } : undefined;
}

/** Checks the key and known hosts before anything is written; the inputs named in each error. */
export function checkSshMaterial(key: string, knownHosts: string, names: { key: string; knownHosts: string }): void {
  if (!/^-----BEGIN (OPENSSH|RSA|EC) PRIVATE KEY-----\n[\s\S]+\n-----END (OPENSSH|RSA|EC) PRIVATE KEY-----\s*$/.test(key.replace(/\r\n/g, '\n').trim()))
    throw new InputError(names.key, key, 'an unencrypted OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY----- ...)', true);
  const lines = knownHosts.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('#'));
  if (!lines.length || lines.some((l) => !/^\S+ (ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/.test(l.trim())))
    throw new InputError(names.knownHosts, knownHosts.slice(0, 80), "known_hosts lines for the host (ssh-keyscan's output, checked out of band): the host's key is never taken on trust");
}

/**
 * Writes the key, the known hosts, an ssh config and the `ssh` the docker CLI will run into
 * `dir` (a private folder), then checks the host answers with a key the known hosts hold
 * before any docker command. Returns the environment for the docker CLI.
 */
export async function sshDockerHost(dir: string, target: SshHost, key: string, knownHosts: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<Record<string, string>> {
  if (/['"\n]/.test(dir)) throw new Error(`The runner's temp folder holds a quote or a line break, which an ssh config cannot name: ${escapeLog(dir)}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string, text: string, mode = 0o600) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text, { mode });
    fs.chmodSync(p, mode);
    return p;
  };
  const keyFile = file('id', `${key.replace(/\r\n/g, '\n').trim()}\n`);
  const known = file('known_hosts', `${knownHosts.replace(/\r\n/g, '\n').trim()}\n`);
  const config = file(
    'config',
    [
      'Host *',
      `  IdentityFile "${keyFile}"`,
      '  IdentitiesOnly yes',
      '  IdentityAgent none',
      `  UserKnownHostsFile "${known}"`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '  PasswordAuthentication no',
      `  ConnectTimeout ${Math.max(1, Math.round(opts.timeoutMs / 1000))}`,
      '  ServerAliveInterval 15',
      // one connection for every docker call of the run, its socket in this private folder; it
      // ends 30 s after its last use, or when post closes it
      ...(multiplexed(dir) ? ['  ControlMaster auto', `  ControlPath "${path.join(dir, 'cm-%C')}"`, '  ControlPersist 30'] : []),
      '',
    ].join('\n'),
  );
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { mode: 0o700 });
  // the CLI runs `ssh [-l user] [-p port] -- host docker system dial-stdio`: this ssh reads our config only
  file(path.join('bin', 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F '${config}' "$@"\n`, 0o700);
  const res = await exec('/usr/bin/ssh', ['-F', config, '-l', target.user, '-p', String(target.port), '--', target.host, 'true'], {
    silent: true,
    timeoutMs: opts.timeoutMs + 5_000,
    signal: opts.signal,
    what: `ssh to ${target.host}`,
  });
  if (res.code !== 0)
    throw new Error(`Cannot reach the swarm manager ${escapeLog(target.host)}:${target.port} over SSH as ${escapeLog(target.user)}: ${escapeLog(res.tail.filter((l) => l.trim()).slice(-3).join(' ') || `exit ${res.code}`)}`);
  return { DOCKER_HOST: `ssh://${target.user}@${target.host}:${target.port}`, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
}

/** Whether a control socket fits in `dir` (a unix socket's path has at most 107 bytes; %C is 40). */
function multiplexed(dir: string): boolean {
  return Buffer.byteLength(path.join(dir, `cm-${'0'.repeat(40)}`)) <= 100;
}

/** Post: ends the run's shared SSH connection, if one is open, before its folder goes. */
export async function closeSsh(dir: string, dockerHost: string | undefined): Promise<void> {
  const target = dockerHost ? parseSshHost(dockerHost) : undefined;
  const config = path.join(dir, 'config');
  if (!target || !fs.existsSync(config)) return;
  await exec('/usr/bin/ssh', ['-F', config, '-O', 'exit', '-l', target.user, '-p', String(target.port), '--', target.host], { silent: true, timeoutMs: 10_000, what: 'ssh -O exit' });
}

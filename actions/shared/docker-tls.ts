/**
 * The docker CLI reaching a remote engine over TCP with TLS both ways (`DOCKER_HOST=tcp://…`,
 * `DOCKER_TLS_VERIFY=1`): the engine's certificate must chain to the CA given, and the client
 * shows its own certificate. The CA, the certificate and the key go to 0600 files in a private
 * folder (the CLI's DOCKER_CERT_PATH). An engine on plain TCP is never used: whoever reaches it
 * is root on its host.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { escapeLog, exec } from './exec';
import { InputError } from './inputs';

export interface TcpHost {
  host: string;
  port: number;
}

/** tcp://host:port, a host name or an IPv4 address; undefined for anything else. */
export function parseTcpHost(value: string): TcpHost | undefined {
  const m = /^tcp:\/\/([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/.exec(value);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : undefined;
}

export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

const PEM = (kind: string) => new RegExp(`^-----BEGIN ${kind}-----\\n[\\s\\S]+\\n-----END ${kind}-----$`);

/** Checks the PEM blocks before anything is written; the inputs named in each error. */
export function checkTlsMaterial(tls: TlsMaterial, names: { ca: string; cert: string; key: string }): void {
  const norm = (s: string) => s.replace(/\r\n/g, '\n').trim();
  if (!PEM('CERTIFICATE').test(norm(tls.ca))) throw new InputError(names.ca, tls.ca.slice(0, 40), "the PEM certificate of the CA that signed the engine's certificate");
  if (!PEM('CERTIFICATE').test(norm(tls.cert))) throw new InputError(names.cert, tls.cert.slice(0, 40), 'the PEM client certificate the engine trusts');
  if (!PEM('(RSA |EC )?PRIVATE KEY').test(norm(tls.key))) throw new InputError(names.key, tls.key, `the PEM private key of ${names.cert}`, true);
}

/**
 * Writes ca.pem, cert.pem and key.pem into `dir` (a private folder), then checks the engine
 * answers over TLS before any deploy step. Returns the environment for the docker CLI.
 */
export async function tlsDockerHost(dir: string, target: TcpHost, tls: TlsMaterial, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<Record<string, string>> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, text] of [['ca.pem', tls.ca], ['cert.pem', tls.cert], ['key.pem', tls.key]] as const) {
    const p = path.join(dir, name);
    fs.writeFileSync(p, `${text.replace(/\r\n/g, '\n').trim()}\n`, { mode: 0o600 });
    fs.chmodSync(p, 0o600);
  }
  const env = { DOCKER_HOST: `tcp://${target.host}:${target.port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir };
  const res = await exec('docker', ['version', '--format', '{{.Server.Version}}'], { env, silent: true, timeoutMs: opts.timeoutMs, signal: opts.signal, what: `docker at ${target.host}` });
  if (res.code !== 0)
    throw new Error(`Cannot reach the swarm manager's engine ${escapeLog(target.host)}:${target.port} over TLS: ${escapeLog(res.tail.filter((l) => l.trim()).slice(-3).join(' ') || `exit ${res.code}`)}`);
  return env;
}

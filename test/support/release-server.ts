/**
 * A release download site on loopback, served over HTTPS with a certificate of its own (the
 * action's Node trusts it through NODE_EXTRA_CA_CERTS), publishing `checksums.txt` beside its
 * binaries as the buildx and compose releases do; and tinyproxy, a real forward proxy, for
 * runners behind one.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { freePort } from '../../scripts/local-servers';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ReleaseServer {
  /** The URL of a file in the release folder. */
  url(name: string): string;
  /** The PEM file to put in NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** Paths requested so far. */
  requests: string[];
  close(): void;
}

/** Serves `files` under /releases/v1/, with a checksums.txt of the sha256 of `listed` (by default, of the files themselves). */
export async function startReleaseServer(files: Record<string, Buffer>, listed: Record<string, Buffer> = files): Promise<ReleaseServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-release-'));
  fs.chmodSync(dir, 0o755);
  const key = path.join(dir, 'key.pem');
  const caFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', caFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  fs.chmodSync(caFile, 0o644);
  const sums = Object.entries(listed).map(([name, body]) => `${createHash('sha256').update(body).digest('hex')} *${name}\n`).join('');
  const published: Record<string, Buffer> = { ...files, 'checksums.txt': Buffer.from(sums) };
  const requests: string[] = [];
  const server: Server = createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(caFile) }, (req, res) => {
    requests.push(req.url ?? '');
    const body = published[(req.url ?? '').replace(/^\/releases\/v1\//, '')];
    res.writeHead(body ? 200 : 404);
    res.end(body ?? 'not found');
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `https://127.0.0.1:${port}/releases/v1/${name}`,
    caFile,
    requests,
    close: () => {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ForwardProxy {
  url: string;
  /** The hosts and ports the proxy connected to, from its log. */
  connections(): string[];
  close(): void;
}

/** tinyproxy on loopback (installed by scripts/testbed/setup.sh), logging every connection. */
export async function startForwardProxy(): Promise<ForwardProxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-proxy-'));
  fs.chmodSync(dir, 0o777);
  const port = await freePort();
  const log = path.join(dir, 'tinyproxy.log');
  fs.writeFileSync(path.join(dir, 'tinyproxy.conf'), `Port ${port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 20\nLogFile "${log}"\nLogLevel Info\n`);
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', path.join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 50 && !(fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('listening')); i++) await new Promise((r) => setTimeout(r, 100));
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => [...(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').matchAll(/opening connection to (\S+)/g)].map((m) => m[1]!),
    close: () => {
      child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

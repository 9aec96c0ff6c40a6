/**
 * TEST DOUBLE (fault injection): an HTTP proxy in front of the real registry that answers
 * 503 to the first N manifest uploads and forwards everything else untouched. A real registry
 * cannot be made to fail on cue; this is the client-level fault the suite must survive.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultProxy {
  port: number;
  injected: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, failManifestPuts: number): Promise<FaultProxy> {
  const [host, port] = target.split(':') as [string, string];
  const state = { injected: 0 };
  const server: Server = createServer((req, res) => {
    if (req.method === 'PUT' && /\/manifests\//.test(req.url ?? '') && state.injected < failManifestPuts) {
      state.injected++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAVAILABLE","message":"service unavailable"}]}');
      return;
    }
    const upstream = request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    port: (server.address() as AddressInfo).port,
    get injected() {
      return state.injected;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

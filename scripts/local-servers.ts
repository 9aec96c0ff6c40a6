/** Servers the tests and the demo start on loopback: a free port, and moto's Route53 (installed by the test bed). */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => probe.once('listening', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/** moto_server on a free loopback port, once it answers. */
export async function startMoto(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await fetch(url).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 200));
  return { url, stop: () => moto.kill() };
}

/** examples/haproxy-lb as a swarm stack (examples/auth-service/swarm/lb.yml), published on the host, for the swarm tests and the demo. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './harness.ts';

export interface LoadBalancer {
  /** The docker CLI's config folder, logged in to the image's registry. */
  dockerConfig: string;
  image: string;
  network: string;
  published: number;
  /** "<stack>=<host>:<port> ...", as examples/haproxy-lb reads LB_BACKENDS. */
  backends: string;
  /** Also TLS on this host port (9001 in the container). */
  httpsPort?: number;
  /** The engine to deploy to (a DOCKER_HOST), else the test bed's own. */
  host?: string;
  /** Several replicas, one per node (they publish on the host), on the nodes the constraint selects. */
  spread?: { replicas: number; constraint: string };
}

/** Builds examples/haproxy-lb as `tag` (the classic builder, as the tests and the demo push it). */
export function buildLoadBalancerImage(tag: string): void {
  execFileSync('docker', ['build', '-q', '-t', tag, path.join(ROOT, 'examples/haproxy-lb')], { stdio: 'ignore' });
}

export function deployLoadBalancer(stack: string, lb: LoadBalancer): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-lb-'));
  try {
    let file = fs.readFileSync(path.join(ROOT, 'examples/auth-service/swarm/lb.yml'), 'utf8');
    if (lb.httpsPort) file = file.replace('        mode: host\n', `        mode: host\n      - target: 9001\n        published: ${lb.httpsPort}\n        mode: host\n`);
    if (lb.spread) {
      const deploy = `    deploy:\n      replicas: ${lb.spread.replicas}\n      placement:\n        max_replicas_per_node: 1\n        constraints: ["${lb.spread.constraint}"]\n`;
      file = file.replace('    volumes:\n', `${deploy}    volumes:\n`);
    }
    fs.writeFileSync(path.join(dir, 'lb.yml'), file);
    execFileSync('docker', ['--config', lb.dockerConfig, 'stack', 'deploy', '--with-registry-auth', '-c', path.join(dir, 'lb.yml'), stack], {
      env: { ...process.env, LB_IMAGE: lb.image, LB_BACKENDS: lb.backends, LB_PUBLISHED: String(lb.published), LB_NETWORK: lb.network, ...(lb.host ? { DOCKER_HOST: lb.host } : {}) },
      stdio: 'ignore',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// rancher-deploy (target swarm, rolling) on the test bed's three-node swarm from off the cluster,
// against `docker service update` of the same service over the same SSH connection, side by side:
// 3 replicas spread over the nodes, a health check, start-first, parallelism 1, delay 1 s,
// alternating between two images in the test bed's registry.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Job, testbedEnv } from './harness.ts';

const AUTHORIZED_KEYS = '/home/deploy/.ssh/authorized_keys';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchSwarm(rounds: number): Promise<string> {
  const tb = testbedEnv();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-bench-swarm-'));
  const job = new Job();
  const keyFile = path.join(dir, 'id');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'drover-bench', '-f', keyFile]);
  const pub = fs.readFileSync(`${keyFile}.pub`, 'utf8').trim();
  fs.appendFileSync(AUTHORIZED_KEYS, `${pub}\n`);
  const knownHosts = `${tb.SWARM_NODES_MANAGER} ssh-ed25519 ${tb.SWARM_NODES_HOST_KEY_ED25519}\n`;
  fs.writeFileSync(path.join(dir, 'known_hosts'), knownHosts);
  // The raw way's ssh: the same key and known hosts, through the docker CLI's own ssh transport
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'bin/ssh'), `#!/bin/sh\nexec /usr/bin/ssh -i ${keyFile} -o IdentitiesOnly=yes -o UserKnownHostsFile=${dir}/known_hosts -o BatchMode=yes "$@"\n`, { mode: 0o755 });
  const config = path.join(dir, 'docker');
  const local = (args: string[], input?: string) => execFileSync('docker', ['--config', config, ...args], { input, stdio: ['pipe', 'ignore', 'pipe'] });
  const overSsh = (args: string[]) =>
    execFileSync('docker', ['--config', config, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, DOCKER_HOST: `ssh://deploy@${tb.SWARM_NODES_MANAGER}` } });
  local(['login', tb.REGISTRY!, '-u', tb.REGISTRY_USER!, '--password-stdin'], tb.REGISTRY_PASSWORD);
  const images = ['a', 'b'].map((v) => `${tb.REGISTRY}/bench-swarm/web:${v}`);
  for (const [n, image] of images.entries()) {
    local(['build', '-q', '-t', image, '-'], `FROM debian:bookworm-slim\nLABEL bench=${n}\n`);
    local(['push', '-q', image]);
  }
  const stack = `bench${process.pid}`;
  fs.writeFileSync(
    path.join(job.workspace, 'stack.yml'),
    `services:\n  web:\n    image: ${images[0]}\n    command: ["sleep", "infinity"]\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 1s\n      start_period: 1s\n    stop_grace_period: 1s\n` +
      `    deploy:\n      replicas: 3\n      placement:\n        preferences:\n          - spread: node.labels.drover.node\n      update_config:\n        parallelism: 1\n        delay: 1s\n        order: start-first\n        failure_action: rollback\n`,
  );
  job.chown(job.dir);
  const deploy = async (image: string) => {
    const step = await job.run('rancher-deploy', {
      with: {
        target: 'swarm', stack, services: 'web', image, 'compose-file': 'stack.yml', 'rancher-compose-file': '', 'batch-size': '1', 'batch-interval': '1', 'start-first': 'true', 'health-timeout': '300',
        'swarm-host': `ssh://deploy@${tb.SWARM_NODES_MANAGER}`, 'swarm-ssh-key': fs.readFileSync(keyFile, 'utf8'), 'swarm-known-hosts': knownHosts,
        'registry-username': tb.REGISTRY_USER!, 'registry-password': tb.REGISTRY_PASSWORD!,
      },
    });
    if (step.exitCode !== 0) throw new Error(`rancher-deploy failed:\n${step.stdout}\n${step.stderr}`);
  };
  const wall: Record<'action' | 'raw', number[]> = { action: [], raw: [] };
  try {
    await deploy(images[0]!); // the stack exists and has converged before the first round
    let next = 1;
    for (let i = 0; i < rounds; i++)
      for (const way of i % 2 ? (['raw', 'action'] as const) : (['action', 'raw'] as const)) {
        const image = images[next]!;
        next = 1 - next;
        const t0 = performance.now();
        if (way === 'raw')
          overSsh(['service', 'update', '--quiet', '--with-registry-auth', '--image', image, '--update-parallelism', '1', '--update-delay', '1s', '--update-order', 'start-first', '--update-failure-action', 'rollback', `${stack}_web`]);
        else await deploy(image);
        wall[way].push(performance.now() - t0);
      }
  } finally {
    try {
      overSsh(['stack', 'rm', '--detach=false', stack]);
    } catch {
      // never made
    }
    for (const sock of tb.SWARM_NODES_SOCKETS!.split(',')) {
      const pulled = execFileSync('docker', ['-H', sock, 'images', '-q', '--filter', `reference=${tb.REGISTRY}/bench-swarm/*`], { encoding: 'utf8' }).split('\n').filter(Boolean);
      if (pulled.length) spawnSync('docker', ['-H', sock, 'rmi', '-f', ...new Set(pulled)]); // one a task still holds stays: no verdict hangs on it
    }
    spawnSync('docker', ['rmi', '-f', ...images]);
    fs.writeFileSync(AUTHORIZED_KEYS, fs.readFileSync(AUTHORIZED_KEYS, 'utf8').split('\n').filter((l) => l.trim() !== pub).join('\n'));
    fs.rmSync(dir, { recursive: true, force: true });
    job.cleanup();
  }
  const [action, raw] = [median(wall.action), median(wall.raw)];
  return [
    `rancher-deploy (target swarm, rolling) on the three-node swarm from off the cluster, against docker service update of the same service over the same SSH connection: 3 replicas spread over the nodes, start-first, parallelism 1, delay 1 s; median of ${rounds} alternating rounds`,
    '',
    '| subject | median ms | ratio |',
    '|---|---:|---:|',
    `| docker service update over SSH (waits for convergence) | ${raw.toFixed(0)} | 1 |`,
    `| rancher-deploy over SSH: validate, connect, log in, stack deploy as written, wait until every replica has run it for the monitor period, log out | ${action.toFixed(0)} | ${(action / raw).toFixed(2)} |`,
  ].join('\n');
}

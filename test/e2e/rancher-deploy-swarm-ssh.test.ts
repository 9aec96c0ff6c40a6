/**
 * rancher-deploy with target swarm from a runner off the cluster: the docker CLI reaches the
 * manager over SSH (the test bed's sshd on 127.0.0.1, a `deploy` user in the docker group), with
 * a key and known hosts given as inputs. The manager here is the test bed's single-node swarm;
 * the multi-node cluster is not part of this file.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job, testbedEnv, type StepResult } from '../../scripts/harness';
import { budget } from '../support/budget';
import { visibleText } from '../support/secrets';
import { docker } from '../support/testbed';
import { until } from '../support/until';

const id = process.pid;
const bed = testbedEnv();
const IMAGE = `${bed.REGISTRY}/drover-ssh-${id}/app:1`;
const IMAGE2 = `${bed.REGISTRY}/drover-ssh-${id}/app:2`;
const STACK = `ssh-${id}`;
const HOST = `ssh://deploy@127.0.0.1:${bed.SSH_PORT}`;
const KNOWN = `[127.0.0.1]:${bed.SSH_PORT} ssh-ed25519 ${bed.SSH_HOST_KEY_ED25519}\n`;
/** A PEM certificate's shape (its content is never looked at: the refusals come first). */
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const job = new Job();
const keys = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-ssh-key-'));
let key = '';
let pub = '';
const steps: StepResult[] = [];

async function deploy(inputs: Record<string, string>): Promise<StepResult> {
  const step = await job.run('rancher-deploy', {
    with: { target: 'swarm', stack: STACK, services: 'app', image: IMAGE, 'compose-file': 'stack.yml', 'rancher-compose-file': '', 'batch-interval': '0', 'health-timeout': '180', 'swarm-host': HOST, 'swarm-ssh-key': key, 'swarm-known-hosts': KNOWN, 'registry-username': bed.REGISTRY_USER!, 'registry-password': bed.REGISTRY_PASSWORD!, ...inputs },
  });
  steps.push(step);
  return step;
}

beforeAll(() => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `drover-ssh-${id}`, '-f', path.join(keys, 'id')]);
  key = fs.readFileSync(path.join(keys, 'id'), 'utf8');
  pub = fs.readFileSync(path.join(keys, 'id.pub'), 'utf8').trim();
  fs.appendFileSync('/home/deploy/.ssh/authorized_keys', `${pub}\n`);
  execFileSync('docker', ['--config', path.join(keys, 'docker'), 'login', bed.REGISTRY!, '-u', bed.REGISTRY_USER!, '--password-stdin'], { input: bed.REGISTRY_PASSWORD!, stdio: ['pipe', 'ignore', 'pipe'] });
  for (const [tag, n] of [[IMAGE, 1], [IMAGE2, 2]] as const) {
    execFileSync('docker', ['build', '-q', '-t', tag, '-'], { input: `FROM debian:bookworm-slim\nENTRYPOINT ["sh", "-c", "trap 'exit 0' TERM; echo ${n}; while :; do sleep 1; done"]\n`, stdio: ['pipe', 'ignore', 'pipe'] });
    execFileSync('docker', ['--config', path.join(keys, 'docker'), 'push', '-q', tag], { stdio: 'ignore' });
  }
  fs.writeFileSync(path.join(job.workspace, 'stack.yml'), `services:\n  app:\n    image: ${IMAGE}\n    stop_grace_period: 2s\n    deploy:\n      replicas: 1\n`);
  job.chown(job.dir);
}, 300_000);

afterAll(async () => {
  const lines = fs.readFileSync('/home/deploy/.ssh/authorized_keys', 'utf8').split('\n');
  fs.writeFileSync('/home/deploy/.ssh/authorized_keys', lines.filter((l) => l.trim() !== pub).join('\n'));
  try {
    docker('stack', 'rm', STACK);
  } catch {
    // gone already
  }
  await until('the stack to go', () => (docker('ps', '-aq', '--filter', `label=com.docker.stack.namespace=${STACK}`) === '' ? true : undefined), 60_000, 1_000).catch(() => undefined);
  for (const tag of [IMAGE, IMAGE2])
    try {
      docker('rmi', '-f', tag);
    } catch {
      // gone already
    }
  fs.rmSync(keys, { recursive: true, force: true });
  job.cleanup();
});

describe('rancher-deploy on swarm from off the cluster, over SSH', () => {
  it('creates, then upgrades, the stack through the manager reached over SSH; the key lives in a 0600 file that post removes', async () => {
    const first = await deploy({});
    expect(first.exitCode, `${first.stdout}\n${first.stderr}`).toBe(0);
    expect(first.stdout).toContain(`Swarm manager 127.0.0.1:${bed.SSH_PORT} over SSH as deploy`);
    const second = await deploy({ image: IMAGE2 });
    expect(second.exitCode, `${second.stdout}\n${second.stderr}`).toBe(0);
    expect(docker('service', 'inspect', `${STACK}_app`, '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}')).toMatch(new RegExp(`^${IMAGE2.replace(/[.]/g, '\\.')}@sha256:`));
    const remote = JSON.parse(second.state['remote-engine']!) as { dir: string; env: Record<string, string> };
    expect(remote.env.DOCKER_HOST).toBe(`ssh://deploy@127.0.0.1:${bed.SSH_PORT}`);
    expect(fs.statSync(path.join(remote.dir, 'id')).mode & 0o777).toBe(0o600);
    const post = await job.post('rancher-deploy', second);
    expect(post!.exitCode).toBe(0);
    expect(fs.existsSync(remote.dir)).toBe(false);
  }, budget(180, 180, 30));

  it("the key and the registry password reach no command line and no environment of the processes a deploy starts (ssh, docker, the manager's side)", async () => {
    const seen = new Map<string, string>(); // a process (pid and command line): what its command line and environment held
    // What this deploy starts: the runner user's processes in this job (RUNNER_TEMP is the job's
    // own; other files' jobs run beside it), and the manager's deploy user's (what ssh starts there).
    const deployUser = execFileSync('id', ['-u', 'deploy'], { encoding: 'utf8' }).trim();
    const look = () => {
      for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)))
        try {
          const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
          if (uid !== String(job.uid) && uid !== deployUser) continue;
          const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
          if (cmdline.includes('rancher-deploy/dist/index.cjs') || seen.has(`${pid} ${cmdline}`)) continue; // the action itself holds its inputs, as GitHub gives them
          const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
          if (uid === String(job.uid) && !environ.includes(`RUNNER_TEMP=${job.temp}`)) continue;
          seen.set(`${pid} ${cmdline}`, `${cmdline}\n${environ.join('\n')}`);
        } catch {
          // gone meanwhile
        }
    };
    const sampler = setInterval(look, 20);
    try {
      const step = await deploy({ image: IMAGE });
      expect(step.exitCode, `${step.stdout}\n${step.stderr}`).toBe(0);
    } finally {
      clearInterval(sampler);
    }
    const started = [...seen.keys()].filter((k) => / (docker|\/usr\/bin\/ssh|ssh) /.test(` ${k.split(' ').slice(1).join(' ')} `) || k.includes('dial-stdio'));
    expect(started.length).toBeGreaterThan(0); // the sampler did see the deploy's children
    const body = key.split('\n')[1]!;
    for (const [what, text] of seen) {
      expect(text.includes(body), what).toBe(false);
      expect(text.includes(bed.REGISTRY_PASSWORD!), what).toBe(false);
    }
  }, budget(180));

  it('a host key that is not the one in swarm-known-hosts is refused before any docker command', async () => {
    const other = execFileSync('sh', ['-c', `ssh-keygen -q -t ed25519 -N '' -f ${keys}/other && cut -d' ' -f2 ${keys}/other.pub`], { encoding: 'utf8' }).trim();
    const step = await deploy({ 'swarm-known-hosts': `[127.0.0.1]:${bed.SSH_PORT} ssh-ed25519 ${other}\n`, stack: `${STACK}-x` });
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(new RegExp(`^Cannot reach the swarm manager 127\\.0\\.0\\.1:${bed.SSH_PORT} over SSH as deploy: .*Host key verification failed`));
    expect(step.stdout).not.toContain('over SSH as deploy\n'); // never connected
    expect(docker('stack', 'ls', '--format', '{{.Name}}').split('\n')).not.toContain(`${STACK}-x`);
  }, budget(60));

  it.each([
    ['no key', { 'swarm-ssh-key': '' }, /^Input 'swarm-ssh-key' is invalid: \*\*\*; expected the private key for swarm-host/],
    ['no known hosts', { 'swarm-known-hosts': '' }, /^Input 'swarm-known-hosts' is invalid: ""; expected known_hosts lines for swarm-host: its host key is never taken on trust/],
    ['a host that is neither ssh:// nor tcp://', { 'swarm-host': 'http://127.0.0.1:2376' }, /^Input 'swarm-host' is invalid: "http:\/\/127\.0\.0\.1:2376"; expected ssh:\/\/user@host\[:port\] \(a manager reached over SSH\) or tcp:\/\/host:port/],
    ['an SSH key with a tcp:// host', { 'swarm-host': 'tcp://127.0.0.1:2376' }, /^Input 'swarm-ssh-key' is invalid: \*\*\*; expected empty with a tcp:\/\/ swarm-host/],
    ['a tcp:// host without TLS', { 'swarm-host': 'tcp://127.0.0.1:2376', 'swarm-ssh-key': '', 'swarm-known-hosts': '' }, /^Input 'swarm-tls-ca' is invalid: ""; expected the CA of swarm-host's engine certificate: an engine on TCP is used with TLS both ways only/],
    ['a TLS key that is not one (masked)', { 'swarm-host': 'tcp://127.0.0.1:2376', 'swarm-ssh-key': '', 'swarm-known-hosts': '', 'swarm-tls-ca': CERT, 'swarm-tls-cert': CERT, 'swarm-tls-key': 'not-a-key' }, /^Input 'swarm-tls-key' is invalid: \*\*\*; expected the PEM private key of swarm-tls-cert/],
    ['a key that is not one (masked)', { 'swarm-ssh-key': 'not-a-key-at-all' }, /^Input 'swarm-ssh-key' is invalid: \*\*\*; expected an unencrypted OpenSSH private key/],
  ])('%s: refused before anything, naming the input', async (_name, inputs, error) => {
    const step = await deploy(inputs);
    expect(step.exitCode).toBe(1);
    expect(step.errors[0]).toMatch(error);
  });

  it('the key never reaches a log, an output, the state or a summary of any run', () => {
    const body = key.split('\n')[1]!;
    expect(steps.length).toBeGreaterThan(5);
    for (const step of steps) {
      expect(visibleText(step).includes(body)).toBe(false);
      expect(visibleText(step).includes(bed.REGISTRY_PASSWORD!)).toBe(false);
    }
  });
});

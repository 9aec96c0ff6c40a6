/**
 * The whole pipeline on this machine, for the demo and its end-to-end test: examples/auth-service
 * in a local bare repository (master and develop, as git-flow keeps them), the test bed's
 * password-protected registry and single-node swarm with an HAProxy load balancer per
 * environment (examples/haproxy-lb), moto's Route53 server with a weighted record per production
 * stack, and the template workflows run by the local workflow runner with the repository
 * variables, secrets and environments a real repository would have.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ROOT, RUNNER_UID, testbedEnv } from './harness.ts';
import { buildLoadBalancerImage, deployLoadBalancer } from './load-balancer.ts';
import { startMoto } from './local-servers.ts';
import { WorkflowRunner, type RunOptions, type WorkflowRun } from './workflow-runner/index.ts';

const GIT_ENV = { GIT_AUTHOR_NAME: 'Demo', GIT_AUTHOR_EMAIL: 'demo@example.com', GIT_COMMITTER_NAME: 'Demo', GIT_COMMITTER_EMAIL: 'demo@example.com' };

export interface Endpoints {
  integration: string;
  production: string;
}

export class PipelineBed {
  readonly id = process.pid;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-pipeline-'));
  readonly remote = path.join(this.dir, 'auth-service.git');
  readonly testbed = testbedEnv();
  readonly image = `${this.testbed.REGISTRY}/drover-pipeline-${this.id}/auth-service`;
  readonly lbImage = `${this.testbed.REGISTRY}/drover-pipeline-${this.id}/haproxy-lb:1`;
  readonly network = `drover-pipeline-${this.id}`;
  readonly stacks = { integration: `int-${this.id}`, production: `prod-${this.id}` };
  readonly lbStacks = { integration: `int-${this.id}-lb`, production: `prod-${this.id}-lb` };
  readonly ports = { integration: 35000 + (this.id % 5000), production: 40000 + (this.id % 5000) };
  readonly zone = 'example.com';
  readonly record = `auth-${this.id}.example.com`;
  readonly endpoints: Endpoints = { integration: `http://127.0.0.1:${this.ports.integration}`, production: `http://127.0.0.1:${this.ports.production}` };
  private readonly dockerConfig = path.join(this.dir, 'docker');
  private moto?: { url: string; stop: () => void };
  private client?: Route53Client;
  private zoneId = '';
  route53 = '';
  private runNumber = 0;

  /** The repository, the load balancers and moto; undone by cleanup() whatever got made. */
  async start(log: (line: string) => void = () => {}): Promise<void> {
    fs.chmodSync(this.dir, 0o755);
    this.createRepository();
    log(`repository ${this.remote}: master and develop with examples/auth-service`);
    this.docker(['login', this.testbed.REGISTRY!, '-u', this.testbed.REGISTRY_USER!, '--password-stdin'], this.testbed.REGISTRY_PASSWORD!);
    buildLoadBalancerImage(this.lbImage);
    this.docker(['push', '-q', this.lbImage]);
    this.docker(['network', 'create', '--driver', 'overlay', '--attachable', this.network]);
    const s = this.stacks;
    this.deployLb(this.lbStacks.integration, this.ports.integration, `${s.integration}=tasks.${s.integration}_auth-service:9000`);
    this.deployLb(this.lbStacks.production, this.ports.production, `${s.production}-blue=tasks.${s.production}-blue_auth-service:9000 ${s.production}-green=tasks.${s.production}-green_auth-service:9000`);
    log(`load balancers: integration ${this.endpoints.integration}, production ${this.endpoints.production}`);
    await this.startMoto();
    log(`Route53 (moto) ${this.route53}: ${this.record} weighted ${s.production}-blue 0, ${s.production}-green 100`);
  }

  private createRepository(): void {
    const work = path.join(this.dir, 'work');
    fs.cpSync(path.join(ROOT, 'examples/auth-service'), work, {
      recursive: true,
      filter: (p) => !/[\\/](node_modules|build|dist)([\\/]|$)/.test(path.relative(ROOT, p)),
    });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: work, stdio: 'pipe', env: { ...process.env, ...GIT_ENV } });
    execFileSync('git', ['init', '-q', '--bare', '-b', 'develop', this.remote]);
    git('init', '-q', '-b', 'master');
    git('add', '.');
    git('commit', '-q', '-m', 'auth-service 1.0.0');
    git('tag', '-a', 'v1.0.0', '-m', 'v1.0.0');
    git('checkout', '-q', '-b', 'develop');
    fs.appendFileSync(path.join(work, 'README.md'), '# auth-service\n\nThe e-book\'s user registration service.\n');
    git('add', '.');
    git('commit', '-q', '-m', 'Add a README');
    git('push', '-q', this.remote, 'master', 'develop', '--tags');
    execFileSync('chown', ['-R', String(RUNNER_UID), this.remote]); // the remote pushed to by git-flow, as the runner user
    fs.rmSync(work, { recursive: true, force: true });
  }

  /** git in the remote (which the runner user owns). */
  git(...args: string[]): string {
    return execFileSync('git', ['-c', `safe.directory=${this.remote}`, '--git-dir', this.remote, ...args], { encoding: 'utf8' });
  }

  /** The docker CLI with this bed's own login. */
  private docker(args: string[], input?: string): string {
    return execFileSync('docker', ['--config', this.dockerConfig, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
  }

  private deployLb(stack: string, published: number, backends: string): void {
    deployLoadBalancer(stack, { dockerConfig: this.dockerConfig, image: this.lbImage, network: this.network, published, backends });
  }

  private async startMoto(): Promise<void> {
    this.moto = await startMoto();
    this.route53 = this.moto.url;
    this.client = new Route53Client({ region: 'us-east-1', endpoint: this.route53, credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' } });
    const zone = await this.client.send(new CreateHostedZoneCommand({ Name: this.zone, CallerReference: `drover-pipeline-${this.id}` }));
    this.zoneId = zone.HostedZone!.Id!;
    const record = (color: string, weight: number) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: { Name: `${this.record}.`, Type: 'A' as const, SetIdentifier: `${this.stacks.production}-${color}`, Weight: weight, TTL: 60, ResourceRecords: [{ Value: '127.0.0.1' }] },
    });
    await this.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: this.zoneId, ChangeBatch: { Changes: [record('blue', 0), record('green', 100)] } }));
  }

  /** The weights of the production record, by set identifier. */
  async weights(): Promise<Record<string, number>> {
    const sets = await this.client!.send(new ListResourceRecordSetsCommand({ HostedZoneId: this.zoneId }));
    return Object.fromEntries((sets.ResourceRecordSets ?? []).filter((r) => r.Name === `${this.record}.`).map((r) => [r.SetIdentifier!, r.Weight!]));
  }

  /** What a repository using the templates has set: variables, secrets, environments (production needs an approval). */
  options(): Omit<RunOptions, 'workflow' | 'event' | 'ref'> {
    return {
      remote: this.remote,
      repository: 'acme/auth-service',
      defaultBranch: 'develop',
      vars: {
        IMAGE: this.image,
        REGISTRY_USER: this.testbed.REGISTRY_USER!,
        BUILDER_IMAGE: `auth-builder:pipeline-${this.id}`,
        SERVICES: 'auth-service',
        IMAGE_VARIABLE: 'AUTH_IMAGE',
        VERSION_VARIABLE: 'auth_version',
        CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
        DEPLOY_TARGET: 'swarm',
        COMPOSE_FILE: 'swarm/docker-compose.yml',
        RANCHER_COMPOSE_FILE: 'swarm/rancher-compose.yml',
        DEPLOY_VARIABLES: `LB_NETWORK=${this.network}`,
        DNS_ZONE: this.zone,
        DNS_RECORD: this.record,
        ROUTE53_ENDPOINT: this.route53,
        AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/drover-dns',
      },
      secrets: { REGISTRY_PASSWORD: this.testbed.REGISTRY_PASSWORD!, RELEASE_TOKEN: 'ghs_demo-release-token' },
      // what the local stand-in for configure-aws-credentials gives for the role (moto takes any)
      awsCredentials: { accessKeyId: 'ASIADEMOACCESSKEY', secretAccessKey: 'demo-secret-key-not-for-logs', sessionToken: 'demo-session-token-not-for-logs' },
      environments: {
        integration: { vars: { STACK: this.stacks.integration } },
        production: { vars: { STACK: this.stacks.production, DEPLOY_STRATEGY: 'blue-green', LB_SERVICE: `${this.lbStacks.production}_lb` }, approval: true },
      },
      approve: ['production'],
    };
  }

  /** One workflow run with the local runner; run numbers count up as GitHub's do. */
  async run(workflow: string, event: RunOptions['event'], ref: string, extra: Partial<RunOptions> = {}): Promise<WorkflowRun> {
    const runner = new WorkflowRunner({
      ...this.options(),
      workflow: path.join(ROOT, 'workflows-templates', workflow),
      event,
      ref,
      runNumber: ++this.runNumber,
      dir: fs.mkdtempSync(path.join(this.dir, `${path.basename(workflow, '.yml')}-`)),
      ...extra,
    });
    return runner.run();
  }

  /** The body of a GET, or the error, a few times while a service settles. */
  async get(url: string, attempts = 30): Promise<string> {
    let last = '';
    for (let i = 0; i < attempts; i++) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
        if (res.ok) return (await res.text()).trim();
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    return last;
  }

  /** The image the integration stack's service runs. */
  serviceImage(stack: string): string {
    return execFileSync('docker', ['service', 'inspect', `${stack}_auth-service`, '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}'], { encoding: 'utf8' }).trim();
  }

  cleanup(): void {
    this.moto?.stop();
    const attempt = (...args: string[]) => {
      try {
        return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        return ''; // already gone
      }
    };
    const stacks = [this.stacks.integration, `${this.stacks.production}-blue`, `${this.stacks.production}-green`, this.lbStacks.integration, this.lbStacks.production];
    for (const s of stacks) attempt('stack', 'rm', s);
    const left = () => stacks.some((s) => attempt('ps', '-aq', '--filter', `label=com.docker.stack.namespace=${s}`));
    for (let i = 0; i < 90 && left(); i++) execFileSync('sleep', ['1']);
    const volumes = attempt('volume', 'ls', '-q').split('\n').filter((v) => stacks.some((s) => v.startsWith(`${s}_`)));
    if (volumes.length) attempt('volume', 'rm', '-f', ...volumes);
    attempt('network', 'rm', this.network);
    const images = attempt('images', '--format', '{{.Repository}}:{{.Tag}}', this.image).split('\n').filter(Boolean);
    attempt('rmi', '-f', this.lbImage, `auth-builder:pipeline-${this.id}`, ...images);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

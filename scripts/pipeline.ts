/**
 * The whole pipeline on this machine, for the demo and its end-to-end tests: an example service
 * (scripts/pipeline-examples.ts) in a local bare repository (master and develop, as git-flow
 * keeps them), the test bed's password-protected registry and a swarm (the test bed's
 * three-node one, reached over SSH as a hosted runner does, for an example deployed `overSsh`;
 * else the runner's own engine) with an HAProxy load balancer per environment on a worker
 * (examples/haproxy-lb) and the service's state stack if it has one, moto's Route53 server with a weighted record per production stack, and the template
 * workflows run by the local workflow runner with the repository variables, secrets and
 * environments a real repository would have.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ROOT, RUNNER_UID, testbedEnv } from './harness.ts';
import { buildLoadBalancerImage, deployLoadBalancer } from './load-balancer.ts';
import { AUTH_SERVICE, type Example } from './pipeline-examples.ts';
import { startMoto } from './local-servers.ts';
import { WorkflowRunner, type RunOptions, type WorkflowRun } from './workflow-runner/index.ts';

/** The test bed's `deploy` user's keys (scripts/testbed/setup.sh). */
const AUTHORIZED_KEYS = '/home/deploy/.ssh/authorized_keys';

const GIT_ENV = { GIT_AUTHOR_NAME: 'Demo', GIT_AUTHOR_EMAIL: 'demo@example.com', GIT_COMMITTER_NAME: 'Demo', GIT_COMMITTER_EMAIL: 'demo@example.com' };

export interface Endpoints {
  integration: string;
  production: string;
}

export class PipelineBed {
  readonly id: string;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-pipeline-'));
  readonly remote: string;
  readonly testbed = testbedEnv();
  readonly image: string;
  readonly lbImage: string;
  readonly network: string;
  readonly stacks: Endpoints;
  readonly lbStacks: Endpoints;
  /** The state stacks (examples whose state lives outside the colour stacks) and their networks. */
  readonly stateStacks: Endpoints;
  readonly ports: { integration: number; production: number };
  readonly zone = 'example.com';
  readonly record: string;
  readonly endpoints: Endpoints;

  readonly example: Example;
  /** The three-node swarm the deploys reach over SSH: its manager's engine (for the bed's own set-up and looks), every node's, and the worker the load balancers run on. */
  readonly cluster?: { manager: string; nodes: string[]; lbHost: string };

  constructor(example: Example = AUTH_SERVICE) {
    this.example = example;
    if (example.overSsh) {
      const nodes = this.testbed.SWARM_NODES_SOCKETS!.split(',');
      this.cluster = { manager: nodes[0]!, nodes, lbHost: this.testbed.SWARM_NODES_IPS!.split(',')[1]! };
    }
    const pid = process.pid;
    this.id = `${pid}-${example.short}`;
    this.remote = path.join(this.dir, `${example.name}.git`);
    this.image = `${this.testbed.REGISTRY}/drover-pipeline-${this.id}/${example.name}`;
    this.lbImage = `${this.testbed.REGISTRY}/drover-pipeline-${this.id}/haproxy-lb:1`;
    this.network = `drover-pipeline-${this.id}`;
    this.stacks = { integration: `int-${this.id}`, production: `prod-${this.id}` };
    this.lbStacks = { integration: `int-${this.id}-lb`, production: `prod-${this.id}-lb` };
    this.stateStacks = { integration: `int-${this.id}-state`, production: `prod-${this.id}-state` };
    // one range per example, so two beds in one process do not meet
    const offset = (pid % 2000) + (example === AUTH_SERVICE ? 0 : 2000);
    this.ports = { integration: 35000 + offset, production: 40000 + offset };
    this.record = `${example.short}-${pid}.example.com`;
    const lbHost = this.cluster?.lbHost ?? '127.0.0.1';
    this.endpoints = { integration: `http://${lbHost}:${this.ports.integration}`, production: `http://${lbHost}:${this.ports.production}` };
  }

  private readonly dockerConfig = path.join(this.dir, 'docker');
  private moto?: { url: string; stop: () => void };
  private client?: Route53Client;
  private zoneId = '';
  route53 = '';
  private runNumber = 0;
  /** Over SSH: the key the deploys use, authorized for the test bed's `deploy` user while the bed runs. */
  private ssh?: { key: string; pub: string };

  /** The repository, the load balancers and moto; undone by cleanup() whatever got made. */
  async start(log: (line: string) => void = () => {}): Promise<void> {
    fs.chmodSync(this.dir, 0o755);
    this.createRepository();
    if (this.example.overSsh) this.authorizeKey();
    log(`repository ${this.remote}: master and develop with examples/${this.example.name}`);
    this.docker(['login', this.testbed.REGISTRY!, '-u', this.testbed.REGISTRY_USER!, '--password-stdin'], this.testbed.REGISTRY_PASSWORD!);
    buildLoadBalancerImage(this.lbImage);
    this.docker(['push', '-q', this.lbImage]);
    this.onSwarm(['network', 'create', '--driver', 'overlay', '--attachable', this.network]);
    const s = this.stacks;
    const backend = (stack: string) => `${stack}=tasks.${stack}_${this.example.service}:${this.example.port}`;
    this.deployLb(this.lbStacks.integration, this.ports.integration, backend(s.integration));
    this.deployLb(this.lbStacks.production, this.ports.production, `${backend(`${s.production}-blue`)} ${backend(`${s.production}-green`)}`);
    if (this.example.state) {
      for (const env of ['integration', 'production'] as const) this.deployState(env);
      log(`state outside the colour stacks: ${this.stateStacks.integration}, ${this.stateStacks.production}`);
    }
    if (this.cluster) log(`swarm: three nodes, the deploys reaching the manager over SSH (deploy@${this.testbed.SWARM_NODES_MANAGER}), the load balancers on the worker ${this.cluster.lbHost}`);
    log(`load balancers: integration ${this.endpoints.integration}, production ${this.endpoints.production}`);
    await this.startMoto();
    log(`Route53 (moto) ${this.route53}: ${this.record} weighted ${s.production}-blue 0, ${s.production}-green 100`);
  }

  private createRepository(): void {
    const work = path.join(this.dir, 'work');
    fs.cpSync(path.join(ROOT, 'examples', this.example.name), work, {
      recursive: true,
      filter: (p) => !/[\\/](node_modules|build|dist)([\\/]|$)/.test(path.relative(ROOT, p)),
    });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: work, stdio: 'pipe', env: { ...process.env, ...GIT_ENV } });
    execFileSync('git', ['init', '-q', '--bare', '-b', 'develop', this.remote]);
    git('init', '-q', '-b', 'master');
    git('add', '.');
    git('commit', '-q', '-m', `${this.example.name} 1.0.0`);
    git('tag', '-a', 'v1.0.0', '-m', 'v1.0.0');
    git('checkout', '-q', '-b', 'develop');
    fs.appendFileSync(path.join(work, 'README.md'), `# ${this.example.name}\n`);
    git('add', '.');
    git('commit', '-q', '-m', 'Add a README');
    git('push', '-q', this.remote, 'master', 'develop', '--tags');
    execFileSync('chown', ['-R', String(RUNNER_UID), this.remote]); // the remote pushed to by git-flow, as the runner user
    fs.rmSync(work, { recursive: true, force: true });
  }

  private authorizeKey(): void {
    const file = path.join(this.dir, 'ssh-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `drover-pipeline-${this.id}`, '-f', file]);
    this.ssh = { key: fs.readFileSync(file, 'utf8'), pub: fs.readFileSync(`${file}.pub`, 'utf8').trim() };
    fs.rmSync(file);
    fs.appendFileSync(AUTHORIZED_KEYS, `${this.ssh.pub}\n`);
  }

  /** git in the remote (which the runner user owns). */
  git(...args: string[]): string {
    return execFileSync('git', ['-c', `safe.directory=${this.remote}`, '--git-dir', this.remote, ...args], { encoding: 'utf8' });
  }

  /** The docker CLI with this bed's own login. */
  private docker(args: string[], input?: string): string {
    return execFileSync('docker', ['--config', this.dockerConfig, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
  }

  /** The docker CLI on the swarm the deploys go to (the bed's own set-up and looks, never the deploys' way in). */
  private onSwarm(args: string[]): string {
    return this.docker(this.cluster ? ['-H', this.cluster.manager, ...args] : args);
  }

  /** The example's state stack, on a network of its own per environment. */
  private deployState(env: keyof Endpoints): void {
    const network = `${this.network}-${env}-data`;
    this.onSwarm(['network', 'create', '--driver', 'overlay', '--attachable', network]);
    execFileSync('docker', ['--config', this.dockerConfig, 'stack', 'deploy', '-c', path.join(ROOT, 'examples', this.example.name, this.example.state!), this.stateStacks[env]], {
      env: { ...process.env, DATA_NETWORK: network, ...(this.cluster ? { DOCKER_HOST: this.cluster.manager } : {}) },
      stdio: 'ignore',
    });
  }

  private deployLb(stack: string, published: number, backends: string): void {
    const onWorker = this.cluster && { host: this.cluster.manager, spread: { replicas: 1, constraint: 'node.labels.drover.node == n2' } };
    deployLoadBalancer(stack, { dockerConfig: this.dockerConfig, image: this.lbImage, network: this.network, published, backends, ...onWorker });
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
      repository: `acme/${this.example.name}`,
      defaultBranch: 'develop',
      vars: {
        IMAGE: this.image,
        REGISTRY_USER: this.testbed.REGISTRY_USER!,
        ...this.example.variables(this.id),
        ...(this.ssh ? { SWARM_HOST: `ssh://deploy@${this.testbed.SWARM_NODES_MANAGER}`, SWARM_KNOWN_HOSTS: `${this.testbed.SWARM_NODES_MANAGER} ssh-ed25519 ${this.testbed.SWARM_NODES_HOST_KEY_ED25519}` } : {}),
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
      secrets: { REGISTRY_PASSWORD: this.testbed.REGISTRY_PASSWORD!, RELEASE_TOKEN: 'ghs_demo-release-token', ...(this.ssh ? { SWARM_SSH_KEY: this.ssh.key } : {}) },
      // what the local stand-in for configure-aws-credentials gives for the role (moto takes any)
      awsCredentials: { accessKeyId: 'ASIADEMOACCESSKEY', secretAccessKey: 'demo-secret-key-not-for-logs', sessionToken: 'demo-session-token-not-for-logs' },
      environments: {
        integration: { vars: { STACK: this.stacks.integration, ...this.stateVariables('integration') } },
        production: { vars: { STACK: this.stacks.production, DEPLOY_STRATEGY: 'blue-green', LB_SERVICE: `${this.lbStacks.production}_lb`, ...this.stateVariables('production') }, approval: true },
      },
      approve: ['production'],
    };
  }

  /** Where the environment's state is: its network, beside the load balancer's (environment variables override the repository's). */
  private stateVariables(env: keyof Endpoints): Record<string, string> {
    return this.example.state ? { DEPLOY_VARIABLES: `LB_NETWORK=${this.network}\nDATA_NETWORK=${this.network}-${env}-data` } : {};
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
    return this.onSwarm(['service', 'inspect', `${stack}_${this.example.service}`, '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}']);
  }

  cleanup(): void {
    this.moto?.stop();
    if (this.ssh && fs.existsSync(AUTHORIZED_KEYS))
      fs.writeFileSync(AUTHORIZED_KEYS, fs.readFileSync(AUTHORIZED_KEYS, 'utf8').split('\n').filter((l) => l.trim() !== this.ssh!.pub).join('\n'));
    const attempt = (...args: string[]) => {
      try {
        return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        return ''; // already gone
      }
    };
    const manager = this.cluster ? ['-H', this.cluster.manager] : [];
    const stacks = [this.stacks.integration, `${this.stacks.production}-blue`, `${this.stacks.production}-green`, this.lbStacks.integration, this.lbStacks.production, this.stateStacks.integration, this.stateStacks.production];
    attempt(...manager, 'stack', 'rm', '--detach=false', ...stacks); // waits until their tasks and networks are gone
    attempt(...manager, 'network', 'rm', this.network, `${this.network}-integration-data`, `${this.network}-production-data`);
    // on every node: the stacks' named volumes (they outlive the stacks) and the images it pulled
    for (const node of this.cluster?.nodes.map((n) => ['-H', n]) ?? [[]]) {
      const volumes = attempt(...node, 'volume', 'ls', '-q').split('\n').filter((v) => stacks.some((s) => v.startsWith(`${s}_`)));
      if (volumes.length) attempt(...node, 'volume', 'rm', '-f', ...volumes);
      const pulled = attempt(...node, 'images', '-q', '--filter', `reference=${this.testbed.REGISTRY}/drover-pipeline-${this.id}/*`).split('\n').filter(Boolean);
      if (this.cluster && pulled.length) attempt(...node, 'rmi', '-f', ...new Set(pulled));
    }
    const images = attempt('images', '--format', '{{.Repository}}:{{.Tag}}', this.image).split('\n').filter(Boolean);
    attempt('rmi', '-f', this.lbImage, this.example.variables(this.id).BUILDER_IMAGE!, ...images);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * TEST DOUBLE (Rancher 1.6 / Cattle), part of test/support/rancher-simulator: the state of one
 * server (hosts, stacks, services, containers, certificates) and the writes that change it, each
 * with its vector in shared/reference/rancher-1.6-conformance.md. The HTTP side is in index.ts,
 * the upgrade processes in upgrades.ts.
 */
import { readStack, ExecutorError } from './executor';
import { allocate, publishedPorts } from './hosts';
import { ApiError, LB_INSTANCE_IMAGE, idNumber, type BatchRecord, type Faults, type Host, type Instance, type Json, type Service, type Stack } from './model';

const NAME = /^[a-zA-Z0-9-]{1,63}$/;

export class Cluster {
  readonly hosts: Host[] = [1, 2, 3].map((n) => ({ id: `1h${n}`, name: `host-${n}` }));
  readonly faults: Faults = { neverHealthy: new Set(), fail5xx: 0, slowMs: 0, actionNotAvailable: new Set(), conflicts: 0, loseAnswers: 0 };
  readonly settings: Record<string, string> = { 'lb.instance.image': LB_INSTANCE_IMAGE };
  /** Time a new container takes to pass its health check. */
  healthyAfterMs = 300;
  /** Time the executor takes to create a stack's services (V9: asynchronous). */
  executorMs = 100;
  /** Time a start-once container runs. */
  runOnceMs = 100;
  readonly stacks: Stack[] = [];
  readonly services: Service[] = [];
  readonly certificates: Json[] = [];
  readonly tasks = new Map<string, Json>();
  readonly batches: BatchRecord[] = [];
  private nextId = 10;
  stopped = false;

  id(): number {
    return this.nextId++;
  }

  // ---- set-up for tests (what an earlier run would have left)

  addStack(name: string, project = '1a5'): Stack {
    const st: Stack = { id: this.id(), name, accountId: project, state: 'active', transitioning: 'no', transitioningMessage: null };
    this.stacks.push(st);
    return st;
  }

  /** A running service, its containers healthy; it has an HTTP health check unless `extra` says otherwise. */
  addService(stack: Stack, name: string, image: string, scale = 1, extra: Partial<Service> = {}): Service {
    const svc: Service = {
      id: this.id(),
      kind: 'service',
      name,
      stackId: stack.id,
      accountId: stack.accountId,
      state: 'active',
      transitioning: 'no',
      transitioningMessage: null,
      scale,
      launchConfig: { imageUuid: `docker:${image}`, labels: {}, environment: {}, healthCheck: { port: 9000, requestLine: 'GET /health HTTP/1.0', interval: 2000 } },
      instances: [],
      run: 0,
      ...extra,
    };
    this.services.push(svc);
    for (let i = 0; i < scale; i++) {
      const inst = this.instance(svc, svc.launchConfig);
      if (inst.healthState) inst.healthState = 'healthy';
    }
    return svc;
  }

  stackByName(name: string): Stack | undefined {
    return this.stacks.find((s) => s.name === name && s.state !== 'removed');
  }

  service(name: string, stackName?: string): Service | undefined {
    const stack = stackName ? this.stackByName(stackName) : undefined;
    return this.services.find((s) => s.name === name && (!stack || s.stackId === stack.id) && s.state !== 'removed');
  }

  running(svc: Service): Instance[] {
    return svc.instances.filter((i) => i.state === 'running');
  }

  /** V21, V22: the source ports of `lb`'s rules that its running containers publish on their hosts. */
  reachablePorts(lb: Service): number[] {
    const published = new Set(this.running(lb).flatMap((i) => i.ports));
    return ((lb.lbConfig?.portRules as { sourcePort: number }[] | undefined) ?? []).map((r) => r.sourcePort).filter((p) => published.has(p));
  }

  // ---- containers

  /** A new container of `launchConfig`, allocated to a host if one has its ports free (V27); health as V18 needs. */
  instance(svc: Service, launchConfig: Json): Instance {
    const labels = (launchConfig.labels as Json | undefined) ?? {};
    const inst: Instance = {
      id: `1i${this.id()}`,
      serviceId: `1s${svc.id}`,
      imageUuid: String(launchConfig.imageUuid),
      version: launchConfig.version as string | undefined,
      state: 'requested',
      healthState: launchConfig.healthCheck ? 'initializing' : null,
      ports: publishedPorts(launchConfig),
      startOnce: String(labels['io.rancher.container.start_once']) === 'true',
    };
    svc.instances.push(inst);
    this.place(svc, inst);
    return inst;
  }

  /** Allocates a requested container (V27); the service shows why when no host can take it. */
  place(svc: Service, inst: Instance): void {
    if (inst.state !== 'requested') return;
    const why = allocate(inst, this.hosts, this.services.flatMap((s) => s.instances));
    if (why) {
      svc.transitioningMessage = why;
      return;
    }
    if (svc.transitioningMessage?.startsWith('Allocation failed')) svc.transitioningMessage = null;
    if (inst.startOnce)
      setTimeout(() => {
        inst.state = 'stopped';
        inst.ranOnce = true;
      }, this.runOnceMs).unref();
    else if (inst.healthState === 'initializing' && !this.faults.neverHealthy.has(inst.imageUuid))
      setTimeout(() => {
        if (inst.state === 'running' && inst.healthState === 'initializing') inst.healthState = 'healthy';
      }, this.healthyAfterMs).unref();
  }

  /** Containers up or down to the scale, with the current launch config. */
  converge(svc: Service): void {
    for (const inst of svc.instances) this.place(svc, inst);
    const current = svc.instances.filter((i) => i.state === 'running' || i.state === 'requested' || (i.startOnce && i.ranOnce));
    for (let i = current.length; i < svc.scale; i++) this.instance(svc, svc.launchConfig);
    for (const extra of current.slice(svc.scale)) extra.state = 'removed';
  }

  /** A transitioning state now (the answer already shows it), the end state a moment later. */
  transition(svc: Service, during: string, end: () => string, ms = 100): void {
    svc.state = during;
    svc.transitioning = 'yes';
    const run = svc.run;
    setTimeout(() => {
      if (svc.run !== run || this.stopped) return;
      svc.state = end();
      svc.transitioning = 'no';
    }, ms).unref();
  }

  // ---- stacks (V9, V10)

  /** V9: 201 at once with transitioning yes; the executor creates the services later, or leaves transitioning error. */
  createStack(body: Json, project: string): Stack {
    const name = String(body.name ?? '');
    if (!NAME.test(name)) throw new ApiError(422, name ? 'InvalidCharacters' : 'MissingRequired', null, 'name');
    if (this.stacks.some((s) => s.name.toLowerCase() === name.toLowerCase() && s.accountId === project && s.state !== 'removed')) throw new ApiError(422, 'NotUnique', null, 'name');
    const st = this.addStack(name, project);
    Object.assign(st, { state: 'activating', transitioning: 'yes', dockerCompose: body.dockerCompose, rancherCompose: body.rancherCompose, environment: body.environment });
    setTimeout(() => this.execute(st), this.executorMs).unref();
    return st;
  }

  private execute(st: Stack): void {
    if (this.stopped) return;
    try {
      const specs = st.dockerCompose || st.rancherCompose ? readStack(st.dockerCompose ?? '', st.rancherCompose ?? '', st.environment ?? {}) : [];
      const made = new Map<string, Service>();
      for (const spec of specs.filter((s) => s.kind === 'service')) {
        const svc = this.addService(st, spec.name, 'none', 0, { launchConfig: spec.launchConfig, scale: spec.scale });
        this.converge(svc);
        made.set(spec.name, svc);
      }
      for (const spec of specs.filter((s) => s.kind === 'loadBalancerService')) {
        const portRules = spec.portRules!.map(({ service, ...r }) => {
          const target = made.get(service) ?? this.services.find((s) => `${this.stacks.find((x) => x.id === s.stackId)?.name}/${s.name}` === service);
          if (!target) throw new ExecutorError(`Failed to find service ${service} for the load balancer ${spec.name}`);
          return { ...r, serviceId: `1s${target.id}` };
        });
        const lb = this.addService(st, spec.name, 'none', 0, { kind: 'loadBalancerService', launchConfig: this.lbLaunchConfig(spec.launchConfig), lbConfig: { portRules }, scale: spec.scale });
        this.converge(lb);
      }
      st.state = 'active';
      st.transitioning = 'no';
    } catch (err) {
      if (!(err instanceof ExecutorError)) throw err;
      st.transitioning = 'error';
      st.transitioningMessage = err.message;
    }
  }

  // ---- services (V19, V21, V22)

  /** V21: what the server adds to a load balancer's launch config: agent labels and the port-42 health check. */
  private lbLaunchConfig(lc: Json): Json {
    return { ...lc, labels: { ...((lc.labels as Json) ?? {}), 'io.rancher.container.agent_service.drain_provider': 'true', 'io.rancher.container.create_agent': 'true', 'io.rancher.container.agent.role': 'environmentAdmin' }, healthCheck: { port: 42, interval: 2000, responseTimeout: 2000, healthyThreshold: 2, unhealthyThreshold: 3 } };
  }

  /** V21, V22: each rule needs serviceId xor selector, a targetPort with a serviceId, a source port other than 42; unknown services are InvalidReference. */
  private checkPortRules(lbConfig: Json | undefined, project: string): Json {
    if (!lbConfig) throw new ApiError(422, 'MissingRequired', null, 'lbConfig');
    const rules = ((lbConfig.portRules as Json[] | undefined) ?? []).map((r) => {
      if (!r.serviceId && !r.selector) throw new ApiError(422, 'MissingRequired', null, 'serviceId');
      if (r.serviceId && r.selector) throw new ApiError(422, 'InvalidOption', null, 'serviceId');
      if (r.serviceId && r.targetPort === undefined) throw new ApiError(422, 'MissingRequired', null, 'targetPort');
      if (Number(r.sourcePort) === 42) throw new ApiError(422, 'InvalidOption', null, 'sourcePort');
      if (r.serviceId && !this.services.some((s) => s.id === idNumber(String(r.serviceId)) && s.accountId === project && s.state !== 'removed'))
        throw new ApiError(422, 'InvalidReference', null, 'serviceId');
      return { ...r, protocol: r.protocol ?? 'http' };
    });
    return { ...lbConfig, portRules: rules };
  }

  createService(body: Json, project: string, kind: Service['kind'], v1: boolean): Service {
    const name = String(body.name ?? '');
    if (!NAME.test(name)) throw new ApiError(422, name ? 'InvalidCharacters' : 'MissingRequired', null, 'name');
    const ref = String(body.stackId ?? (v1 ? body.environmentId : '') ?? ''); // V7: a v1 body's environmentId is its stackId
    const st = this.stacks.find((s) => s.id === idNumber(ref) && s.accountId === project && s.state !== 'removed');
    if (!st) throw new ApiError(422, 'InvalidReference', null, 'stackId');
    if (!body.launchConfig) throw new ApiError(422, 'MissingRequired', null, 'launchConfig');
    const lbConfig = kind === 'loadBalancerService' ? this.checkPortRules(body.lbConfig as Json | undefined, project) : undefined;
    const launchConfig = kind === 'loadBalancerService' ? this.lbLaunchConfig(body.launchConfig as Json) : (body.launchConfig as Json);
    const svc = this.addService(st, name, 'none', 0, { kind, launchConfig, lbConfig, scale: Number(body.scale ?? 1) });
    if (body.startOnCreate) this.transition(svc, 'activating', () => (this.converge(svc), 'active'));
    else svc.state = 'inactive';
    return svc;
  }

  /**
   * V19: a PUT applies only updatable fields (scale, metadata, lbConfig, and launchConfig on a
   * load balancer), silently ignoring the rest; a changed one runs service.update
   * (updating-active); from a state update does not start from, 409.
   */
  updateService(svc: Service, body: Json, offered: string[]): Service {
    if (!offered.includes('update')) throw new ApiError(409, 'Conflict', `State [${svc.state}] is not valid`);
    if (body.scale !== undefined && (!Number.isInteger(body.scale) || (body.scale as number) < 0)) throw new ApiError(422, 'MinLimitExceeded', null, 'scale');
    const lbConfig = body.lbConfig !== undefined && svc.kind === 'loadBalancerService' ? this.checkPortRules(body.lbConfig as Json, svc.accountId) : undefined;
    let changed = false;
    if (body.scale !== undefined && body.scale !== svc.scale) {
      svc.scale = body.scale as number;
      changed = true;
    }
    if (lbConfig) {
      svc.lbConfig = lbConfig; // V22: replaced whole
      changed = true;
    }
    if (body.launchConfig !== undefined && svc.kind === 'loadBalancerService') svc.launchConfig = body.launchConfig as Json; // the running containers keep theirs (V22)
    if (body.metadata !== undefined) svc.metadata = body.metadata as Json;
    if (changed && ['active', 'inactive', 'updating-active'].includes(svc.state)) {
      const was = svc.state === 'inactive' ? 'inactive' : 'active';
      this.transition(svc, 'updating-active', () => (was === 'active' && this.converge(svc), was));
    } else if (changed && svc.state !== 'inactive') this.converge(svc);
    return svc;
  }

  // ---- certificates (V24) and pull tasks (V25)

  createCertificate(body: Json, project: string): Json {
    if (!body.name || !body.cert || !body.key) throw new ApiError(422, 'MissingRequired', null, !body.name ? 'name' : !body.cert ? 'cert' : 'key');
    if (this.certificates.some((c) => c.accountId === project && c.name === body.name && c.state !== 'removed')) throw new ApiError(422, 'NotUnique', null, 'name');
    const cert: Json = { id: `1c${this.id()}`, name: body.name, cert: body.cert, key: body.key, certChain: body.certChain ?? null, accountId: project, state: 'active', transitioning: 'no' };
    this.certificates.push(cert);
    return cert;
  }

  updateCertificate(cert: Json, body: Json): Json {
    const fields = ['cert', 'key', 'certChain', 'description'].filter((k) => body[k] !== undefined);
    for (const k of fields) cert[k] = body[k];
    if (fields.some((k) => k !== 'description')) {
      Object.assign(cert, { state: 'updating-active', transitioning: 'yes' });
      setTimeout(() => Object.assign(cert, { state: 'active', transitioning: 'no' }), 100).unref();
    }
    return cert;
  }

  /** V25: transitioning yes, a status per host, then transitioning no even when a host failed. */
  pullTask(body: Json): Json {
    if (!body.image) throw new ApiError(422, 'MissingRequired', null, 'image');
    const image = String(body.image);
    const ref = image.replace(/^docker:/, ''); // a docker: prefix is tolerated
    const task: Json = { id: `1pt${this.id()}`, type: 'pullTask', image, mode: body.mode ?? 'all', labels: body.labels ?? {}, state: 'activating', transitioning: 'yes', status: Object.fromEntries(this.hosts.map((h) => [h.id, 'Pulling'])) };
    this.tasks.set(String(task.id), task);
    setTimeout(() => Object.assign(task, { state: 'active', transitioning: 'no', status: Object.fromEntries(this.hosts.map((h) => [h.id, this.faults.pullFails?.has(ref) ? `Error: pull access denied for ${ref}` : 'Done'])) }), 100).unref();
    return task;
  }
}

/**
 * TEST DOUBLE (Rancher 1.6 / Cattle), part of test/support/rancher-simulator: the resources, the
 * error body and the state tables, each rule with the vector of
 * shared/reference/rancher-1.6-conformance.md it follows.
 */
export type Json = Record<string, unknown>;

/** V1, V12: Cattle's error body (ExceptionHandler.populateError); `message` is null unless Cattle sets one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string | null,
    readonly fieldName?: string,
  ) {
    super(message ?? code);
    this.body = message;
  }

  /** The body's `message`. */
  readonly body: string | null;
}

export interface Host {
  id: string;
  name: string;
}

export interface Instance {
  id: string;
  serviceId: string;
  imageUuid: string;
  /** The launch config version it was created from (V14: each upgrade makes a new one). */
  version?: string;
  /** `requested`: created, not yet allocated to a host (V27). */
  state: 'requested' | 'running' | 'stopped' | 'removed';
  /** null when the launch config has no health check (V18 counts it as healthy). */
  healthState: 'initializing' | 'healthy' | 'unhealthy' | null;
  hostId?: string;
  /** The host ports it publishes, from the launch config it was created with (V21, V27). */
  ports: number[];
  startOnce: boolean;
  /** When it last started running. */
  startedAt?: number;
  /** A start-once container that ran to its end (V18 started-once). */
  ranOnce?: boolean;
}

export interface Service {
  id: number;
  kind: 'service' | 'loadBalancerService';
  name: string;
  stackId: number;
  accountId: string;
  state: string;
  transitioning: 'yes' | 'no' | 'error';
  transitioningMessage: string | null;
  scale: number;
  launchConfig: Json;
  lbConfig?: Json;
  upgrade?: Json;
  metadata?: Json;
  instances: Instance[];
  /** Bumped to cancel a running upgrade or rollback loop. */
  run: number;
}

export interface Stack {
  id: number;
  name: string;
  accountId: string;
  state: string;
  transitioning: 'yes' | 'no' | 'error';
  transitioningMessage: string | null;
  dockerCompose?: string;
  rancherCompose?: string;
  environment?: Record<string, string>;
}

export interface Key {
  access: string;
  secret: string;
  /** An environment key: one project. Without it, an account key that sees every project. */
  project?: string;
}

export interface Faults {
  /** Images (as `docker:<ref>`) whose containers never become healthy. */
  neverHealthy: Set<string>;
  /** Answer the next N requests with 503. */
  fail5xx: number;
  /** Delay every answer by this many ms. */
  slowMs: number;
  /** Actions answered with 422 ActionNotAvailable whatever the state (listed in `actions` all the same, as when the state changes between a GET and the POST). */
  actionNotAvailable: Set<string>;
  /** V20: answer the next N writes (POST, PUT, DELETE) with 409 Conflict, as Cattle does for a resource a process holds. */
  conflicts: number;
  /** Carry out the next N writes, then drop the connection without an answer (a proxy or network losing the reply). */
  loseAnswers: number;
  /** Images whose pull fails on every host (V25: the task still ends transitioning no). */
  pullFails?: Set<string>;
  /** Build links on this origin instead of the request's (a misconfigured proxy, or a hostile server). */
  linkOrigin?: string;
  /** Every collection's `pagination.next` points at the page itself, for ever (a broken or hostile server). */
  loopPages?: boolean;
  /** Answer redirects: every request to a path under this prefix gets a 307 to `redirectTo`. */
  redirect?: { prefix: string; to: string };
}

export interface BatchRecord {
  service: string;
  serviceId: string;
  batch: number;
  startedAt: number;
  endedAt: number;
}

/**
 * V11: the actions each service state offers, exactly the processes whose start state it is
 * (cattle spring-process-context.xml:438-448), with the service's other processes
 * (activate, deactivate, restart, remove, service links) as Cattle lists them.
 */
export const SERVICE_ACTIONS: Record<string, string[]> = {
  inactive: ['activate', 'upgrade', 'update', 'remove'],
  active: ['upgrade', 'deactivate', 'restart', 'update', 'remove', 'setservicelinks', 'addservicelink', 'removeservicelink'],
  'updating-active': ['upgrade', 'deactivate', 'update', 'remove'],
  activating: ['upgrade', 'update', 'remove'],
  upgrading: ['cancelupgrade', 'rollback', 'update', 'remove'],
  upgraded: ['finishupgrade', 'rollback', 'remove'],
  'canceling-upgrade': ['update', 'remove'],
  'canceled-upgrade': ['continueupgrade', 'rollback', 'remove'],
  'finishing-upgrade': ['cancelupgrade', 'update', 'remove'],
  'rolling-back': ['update', 'remove'],
  restarting: ['activate', 'deactivate', 'remove'],
};
export const ALL_SERVICE_ACTIONS = ['activate', 'addservicelink', 'cancelupgrade', 'continueupgrade', 'deactivate', 'finishupgrade', 'remove', 'removeservicelink', 'restart', 'rollback', 'setservicelinks', 'update', 'upgrade'];
export const STACK_ACTIONS: Record<string, string[]> = {
  active: ['upgrade', 'update', 'remove', 'exportconfig', 'activateservices', 'deactivateservices'],
  activating: ['update', 'remove'],
  upgraded: ['finishupgrade', 'rollback', 'remove'],
};

/** V23: cattle-global.properties:8. */
export const LB_INSTANCE_IMAGE = 'rancher/lb-service-haproxy:v0.9.14';

/** V8: an id is `1` + a short type + a number; the parser ignores the letters (TypeIdFormatter). */
export function idNumber(ref: string): number | undefined {
  const m = /^(?:1[a-z]+)?(\d+)$/i.exec(ref);
  return m ? Number(m[1]) : undefined;
}

export function stackRef(id: number, v1: boolean): string {
  return `${v1 ? '1e' : '1st'}${id}`;
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

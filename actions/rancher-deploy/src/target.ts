/** What a deploy target (Rancher or swarm) does for the deploy steps, in the same terms for both. */
import type { Certificate } from './config';
import type { Rollout, StackFiles } from './plan';

export interface ServiceStatus {
  /** The image it runs (or upgrades to), without prefix or digest. */
  image: string;
  /** Rancher's state names; swarm's are mapped onto them (an update under way is `upgrading`). */
  state: string;
}

/** One step of progress of an upgrade, for the log and the summary. */
export interface Progress {
  service: string;
  atMs: number;
  message: string;
}

/** A stack to create: the compose files, `services` set to `image`; a blue-green colour stack leaves the load balancer out. */
export interface StackSpec {
  files: StackFiles;
  image: string;
  services: readonly string[];
  variables: Record<string, string>;
  withoutLb: boolean;
}

export type UpgradeResult = { ok: true; waitedMs: number } | { ok: false; waitedMs: number; reason: string };

/** The state key of the services post must bring to rest if the job is cancelled while they upgrade. */
export const IN_FLIGHT = 'in-flight';

/** A service found in one of these from an earlier run is finished or rolled back first. */
export const LEFTOVER_STATES = new Set(['upgraded', 'upgrading', 'canceled-upgrade']);

export interface DeployTarget {
  readonly name: 'rancher' | 'swarm';
  connect(): Promise<void>;
  stackExists(stack: string): Promise<boolean>;
  /** Creates the stack and waits until its services are up and healthy. */
  createStack(stack: string, spec: StackSpec, deadline: number): Promise<void>;
  status(stack: string, service: string): Promise<ServiceStatus | undefined>;
  /** Brings a leftover upgrade to rest: finished, or rolled back to its confirmed image; says what it did. */
  settle(stack: string, service: string, how: 'finish' | 'rollback', deadline: number): Promise<string>;
  pull(image: string): Promise<void>;
  /**
   * Rolls `image` out and waits until every new container is healthy, or the deadline. `spec`
   * is the stack as written: swarm applies all of it (`docker stack deploy`), Rancher changes
   * the service's image.
   */
  upgrade(stack: string, service: string, image: string, rollout: Rollout, deadline: number, onProgress: (p: Progress) => void, spec: StackSpec): Promise<UpgradeResult>;
  /** Confirms an upgrade (Rancher's finishupgrade; swarm completes by itself). */
  finish(stack: string, service: string, deadline: number): Promise<void>;
  rollback(stack: string, service: string, deadline: number): Promise<void>;
  /** Blue-green: the colour stack of `base` the load balancer sends traffic to, if any. */
  activeStack(lb: string, base: string): Promise<string | undefined>;
  /**
   * Blue-green: points the load balancer's rules for `base`'s colours at `stack` (Rancher: in one
   * update, creating it if missing; swarm: every running task, then the label), by the deadline.
   */
  switchTo(lb: string, stack: string, rancherCompose: string, base: string, deadline: number): Promise<void>;
  /** Scales a stack's services (0 to park it; the given scales to bring it back) and waits. */
  scale(stack: string, scales: Record<string, number>, deadline: number): Promise<void>;
  /** HTTPS on the load balancer: the certificate stored and made its default, with a TLS port rule; false when it already was. */
  useCertificate(lb: string, cert: Certificate, deadline: number): Promise<boolean>;
}

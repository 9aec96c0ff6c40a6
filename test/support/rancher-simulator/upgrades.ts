/**
 * TEST DOUBLE (Rancher 1.6 / Cattle), part of test/support/rancher-simulator: the service
 * actions and the upgrade processes (V11 to V17), as UpgradeManagerImpl runs them.
 */
import type { Cluster } from './cluster';
import { ALL_SERVICE_ACTIONS, ApiError, SERVICE_ACTIONS, delay, type Instance, type Json, type Service } from './model';

/** V11, V12: the actions the state offers; anything else ActionNotAvailable, an unknown name InvalidAction. */
export function serviceAction(c: Cluster, svc: Service, action: string, body: Json): Service {
  if (!ALL_SERVICE_ACTIONS.includes(action)) throw new ApiError(422, 'InvalidAction', null, 'action');
  const offered = (SERVICE_ACTIONS[svc.state] ?? []).filter((a) => !c.faults.actionNotAvailable.has(a));
  if (!offered.includes(action)) throw new ApiError(422, 'ActionNotAvailable', null, 'action');
  switch (action) {
    case 'upgrade':
      return upgrade(c, svc, body);
    case 'finishupgrade': // V16
      svc.run++;
      c.transition(svc, 'finishing-upgrade', () => {
        for (const i of svc.instances) if (i.state === 'stopped' && !i.ranOnce) i.state = 'removed';
        svc.upgrade = undefined;
        return 'active';
      });
      return svc;
    case 'rollback':
      return rollback(c, svc);
    case 'cancelupgrade':
      svc.run++;
      c.transition(svc, 'canceling-upgrade', () => 'canceled-upgrade');
      return svc;
    case 'continueupgrade':
      return start(c, svc);
    case 'activate':
      c.transition(svc, 'activating', () => (c.converge(svc), 'active'));
      return svc;
    case 'deactivate':
      c.transition(svc, 'deactivating', () => {
        for (const i of c.running(svc)) i.state = 'stopped';
        return 'inactive';
      });
      return svc;
    default:
      return svc;
  }
}

/**
 * V13: validation and defaults (batchSize 1, intervalMillis 2000, startFirst false).
 * V14: 202 with the new launchConfig (a new version) already in place, the old one as
 * previousLaunchConfig; the one sent replaces the old, no merge.
 */
function upgrade(c: Cluster, svc: Service, body: Json): Service {
  const strategy = body.inServiceStrategy as Json | undefined;
  if (!strategy && !body.toServiceStrategy) throw new ApiError(422, 'MissingRequired', 'Upgrade strategy needs to be set', 'inServiceStrategy');
  if (!strategy) throw new ApiError(422, 'InvalidOption', 'only inServiceStrategy is simulated', 'toServiceStrategy');
  if (!strategy.launchConfig && !strategy.secondaryLaunchConfigs)
    throw new ApiError(422, 'InvalidOption', 'LaunchConfig/secondaryLaunchConfigs need to be specified for inService strategy', 'inServiceStrategy');
  const batchSize = strategy.batchSize === undefined ? 1 : Number(strategy.batchSize);
  const intervalMillis = strategy.intervalMillis === undefined ? 2000 : Number(strategy.intervalMillis);
  if (batchSize < 1) throw new ApiError(422, 'MinLimitExceeded', null, 'batchSize');
  if (intervalMillis < 100) throw new ApiError(422, 'MinLimitExceeded', null, 'intervalMillis');
  const startFirst = strategy.startFirst === true;
  const launchConfig = (strategy.launchConfig as Json | undefined) ?? svc.launchConfig;
  if (startFirst && (launchConfig.retainIp === true || svc.launchConfig.retainIp === true)) throw new ApiError(422, 'InvalidOption', 'StartFirst option can not be used together with retainIp=true', 'startFirst');
  svc.upgrade = { inServiceStrategy: { batchSize, intervalMillis, startFirst, launchConfig, previousLaunchConfig: svc.launchConfig } };
  svc.launchConfig = { ...launchConfig, version: crypto.randomUUID() };
  return start(c, svc);
}

function strategyOf(svc: Service): { batchSize: number; intervalMillis: number; startFirst: boolean; previousLaunchConfig: Json } {
  return (svc.upgrade as { inServiceStrategy: ReturnType<typeof strategyOf> }).inServiceStrategy;
}

function start(c: Cluster, svc: Service): Service {
  svc.state = 'upgrading';
  svc.transitioning = 'yes';
  svc.transitioningMessage = null;
  const run = ++svc.run;
  void runUpgrade(c, svc, run);
  return svc;
}

/**
 * V15: batches of batchSize; start-first starts the new ones, waits until they are healthy,
 * stops the old; stop-first stops first. Before each batch every upgraded one must be healthy;
 * intervalMillis between batches, none after the last; no timeout on the health wait; old
 * containers stopped, not removed; upgraded at the end.
 */
async function runUpgrade(c: Cluster, svc: Service, run: number): Promise<void> {
  const { batchSize, intervalMillis, startFirst } = strategyOf(svc);
  const version = svc.launchConfig.version as string;
  const live = () => svc.run === run && !c.stopped;
  const fresh = () => svc.instances.filter((i) => i.version === version && i.state !== 'removed' && i.state !== 'stopped');
  const healthy = async (insts: Instance[]) => {
    while (live() && !insts.every((i) => i.state === 'running' && (i.healthState === null || i.healthState === 'healthy'))) {
      for (const i of insts) c.place(svc, i); // V27: tried again as hosts free their ports
      await delay(50);
    }
  };
  let batch = 0;
  for (;;) {
    await healthy(fresh());
    const old = c.running(svc).filter((i) => i.version !== version);
    const missing = Math.max(0, svc.scale - fresh().length - old.length);
    if ((!old.length && !missing) || !live()) break;
    const last = c.batches.findLast((r) => r.serviceId === `1s${svc.id}`);
    if (batch > 0 && last) while (Date.now() < last.endedAt + intervalMillis) await delay(last.endedAt + intervalMillis - Date.now()); // a timer may fire a millisecond early
    if (!live()) return;
    const startedAt = Date.now();
    const units = old.slice(0, batchSize);
    if (!startFirst) for (const u of units) u.state = 'stopped';
    const made = Array.from({ length: Math.max(units.length, Math.min(missing, batchSize)) }, () => c.instance(svc, svc.launchConfig));
    await healthy(made);
    if (!live()) return;
    if (startFirst) for (const u of units) u.state = 'stopped';
    c.batches.push({ service: svc.name, serviceId: `1s${svc.id}`, batch: ++batch, startedAt, endedAt: Date.now() });
  }
  if (!live()) return;
  svc.state = 'upgraded';
  svc.transitioning = 'no';
}

/**
 * V17: launchConfig restored at request time; then, in batches of batchSize with intervalMillis
 * sleeps and no health waits, the new containers removed and the same old ones started again;
 * a running upgrade is cancelled. Ends active.
 */
function rollback(c: Cluster, svc: Service): Service {
  const run = ++svc.run;
  const previous = svc.upgrade ? strategyOf(svc).previousLaunchConfig : svc.launchConfig;
  const { batchSize, intervalMillis } = svc.upgrade ? strategyOf(svc) : { batchSize: 1, intervalMillis: 2000 };
  const newVersion = svc.launchConfig.version;
  svc.launchConfig = previous;
  svc.state = 'rolling-back';
  svc.transitioning = 'yes';
  void (async () => {
    await delay(50); // the process runs after the answer
    const fresh = svc.instances.filter((i) => i.version === newVersion && i.version !== previous.version && i.state !== 'removed');
    const old = svc.instances.filter((i) => i.version === previous.version && i.state === 'stopped' && !i.ranOnce);
    let last = 0;
    for (let b = 0; b * batchSize < Math.max(fresh.length, old.length); b++) {
      if (b > 0) while (Date.now() < last + intervalMillis) await delay(last + intervalMillis - Date.now()); // a timer may fire a millisecond early
      if (svc.run !== run || c.stopped) return;
      for (const i of fresh.slice(b * batchSize, (b + 1) * batchSize)) i.state = 'removed';
      for (const i of old.slice(b * batchSize, (b + 1) * batchSize)) {
        i.state = 'requested';
        i.hostId = undefined;
        c.place(svc, i);
      }
      last = Date.now();
    }
    if (svc.run !== run || c.stopped) return;
    svc.upgrade = undefined;
    c.converge(svc);
    svc.state = 'active';
    svc.transitioning = 'no';
  })();
  return svc;
}

/** dns-switch's inputs, read and validated against action.yml before any request (and before the AWS SDK loads). */
import contract from '../action.yml';
import { InputError, Inputs } from '../../shared/inputs';
import type { RoutingRecord } from './plan';
import { DNS_NAME, SET_ID, validValue, type RecordType } from './names';
import { parseRouting } from './routing';

export interface Config {
  zone: string;
  record: string;
  type: RecordType;
  weights?: Record<string, number>;
  active: string;
  values: Record<string, string>;
  ttl: number;
  allowAllZero: boolean;
  canary?: { steps: number[]; to: string; pauseMs: number };
  gate?: { url: string; status: number; times: number } | { healthCheckId: string };
  routing: RoutingRecord[];
  /** What the inputs ask that Route 53 accepts but that does not do what a user would expect. */
  warnings: string[];
  deleteReplacedHealthChecks: boolean;
  lbHosts: Record<string, string[]>;
  lbStack: string;
  lbEnvironment: string;
  wait: boolean;
  pollSeconds: number;
  timeoutSeconds: number;
  dryRun: boolean;
  endpoint: string;
  region: string;
  maxAttempts: number;
}

/** A hosted zone id (Route 53's own start with Z; an emulator's need not): upper-case letters and digits, never a dot. */
const ZONE_ID = /^[A-Z0-9]{1,32}$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function fqdn(name: string): string {
  return `${name.toLowerCase().replace(/\.$/, '')}.`;
}

export async function readConfig(input = new Inputs(contract)): Promise<Config> {
  const zone = input.string('zone', { accepted: 'a hosted zone name (example.com) or id (Z0123456789ABC)' });
  if (!ZONE_ID.test(zone) && !DNS_NAME.test(zone)) throw new InputError('zone', zone, 'a hosted zone name (example.com) or id (Z0123456789ABC)');
  const record = input.string('record', { pattern: DNS_NAME, accepted: 'a DNS name such as api.example.com' });
  if (record && !ZONE_ID.test(zone) && !(fqdn(record) === fqdn(zone) || fqdn(record).endsWith(`.${fqdn(zone)}`)))
    throw new InputError('record', record, `a name inside the zone ${zone}`);
  const type = input.choice('type', ['A', 'AAAA', 'CNAME'] as const);
  const ttl = input.integer('ttl', { min: 0, max: 2_147_483_647 });
  const allowAllZero = input.boolean('allow-all-zero');

  const weights = readWeights(input, allowAllZero);
  const active = input.string('active', { pattern: SET_ID, accepted: 'a set identifier such as green' });
  const values = input.keyValues('values', SET_ID);
  for (const [id, v] of Object.entries(values)) if (!validValue(type, v)) throw new InputError('values', `${id}=${v}`, `set-identifier=value lines whose value is a valid ${type} record value`);

  const stepsText = input.list('canary-steps');
  const canaryTo = input.string('canary-to', { pattern: SET_ID, accepted: 'a set identifier such as green' });
  const pauseMs = input.integer('canary-pause', { min: 0, max: 86_400 }) * 1000;
  let canary: Config['canary'];
  if (stepsText.length) {
    const steps = stepsText.map((s) => Number(s));
    if (stepsText.some((s, i) => !/^\d+$/.test(s) || steps[i]! > 100 || (i > 0 && steps[i]! <= steps[i - 1]!)))
      throw new InputError('canary-steps', stepsText.join(','), 'rising percentages from 0 to 100, such as 10,50,100');
    if (!canaryTo) throw new InputError('canary-to', '', 'the set identifier that gets the canary weights (required with canary-steps)');
    canary = { steps, to: canaryTo, pauseMs };
  }
  const gateUrl = input.httpUrl('gate-url');
  const gateCheck = input.string('gate-health-check-id', { pattern: /^[0-9a-f-]{36}$/, accepted: 'a Route53 health check id (a UUID)' });
  const gateStatus = input.integer('gate-status', { min: 100, max: 599 });
  const gateTimes = input.integer('gate-times', { min: 1, max: 100 });
  const gate = gateUrl ? { url: gateUrl, status: gateStatus, times: gateTimes } : gateCheck ? { healthCheckId: gateCheck } : undefined;

  const { records: routing, warnings } = await parseRouting(input.string('routing-records', { multiline: true }), type);
  const lbHosts = readLbHosts(input);
  const lbStack = input.string('lb-stack', { pattern: LABEL, accepted: 'a lower-case DNS label such as auth-green' });
  const lbEnvironment = input.string('lb-environment', { pattern: LABEL, accepted: 'a lower-case DNS label such as production' });
  if (Object.keys(lbHosts).length && (!lbStack || !lbEnvironment)) throw new InputError(lbStack ? 'lb-environment' : 'lb-stack', '', 'a DNS label (required with lb-hosts)');

  const modes = [weights || active ? 'weights' : '', canary ? 'canary-steps' : '', routing.length ? 'routing-records' : ''].filter(Boolean);
  if (modes.length > 1) throw new InputError(modes[1]!, '', `one of weights/active/previous-weights, canary-steps or routing-records per step (${modes.join(' and ')} given)`);
  if (modes.length && !record) throw new InputError('record', '', `a DNS name (required with ${modes[0]})`);
  if (!modes.length && !Object.keys(lbHosts).length) throw new InputError('weights', '', 'something to do: weights, active, previous-weights, canary-steps, routing-records or lb-hosts');

  const endpoint = input.httpUrl('endpoint');
  return {
    zone,
    record: record ? fqdn(record) : '',
    type,
    weights,
    active,
    values,
    ttl,
    allowAllZero,
    canary,
    gate,
    routing,
    warnings,
    deleteReplacedHealthChecks: input.boolean('delete-replaced-health-checks'),
    lbHosts,
    lbStack,
    lbEnvironment,
    wait: input.boolean('wait'),
    pollSeconds: input.integer('poll-interval', { min: 1, max: 600 }),
    timeoutSeconds: input.rename('timeout', 'sync-timeout').integer('sync-timeout', { min: 1, max: 86_400 }),
    dryRun: input.boolean('dry-run'),
    endpoint,
    region: input.string('region', { pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, accepted: 'an AWS region such as us-east-1' }),
    maxAttempts: input.integer('max-attempts', { min: 1, max: 20 }),
  };
}

/** `weights` (id=n pairs) or `previous-weights` (the JSON output of an earlier run); 0 to 255, not all 0 unless allowed. */
function readWeights(input: Inputs, allowAllZero: boolean): Record<string, number> | undefined {
  const previous = input.string('previous-weights');
  const pairs = input.list('weights');
  let weights: Record<string, number> | undefined;
  let name = 'weights';
  if (previous) {
    name = 'previous-weights';
    try {
      weights = JSON.parse(previous) as Record<string, number>;
    } catch {
      throw new InputError(name, previous, 'the JSON previous-weights output of an earlier run, such as {"blue":100,"green":0}');
    }
    if (!weights || typeof weights !== 'object' || Array.isArray(weights)) throw new InputError(name, previous, 'a JSON object of set identifier to weight');
  } else if (pairs.length) {
    weights = {};
    for (const pair of pairs) {
      const m = /^(.+)=(-?\d+)$/.exec(pair);
      if (!m) throw new InputError(name, pair, 'set-identifier=weight pairs such as blue=0,green=100');
      weights[m[1]!] = Number(m[2]);
    }
  }
  if (!weights) return undefined;
  for (const [id, w] of Object.entries(weights)) {
    if (!SET_ID.test(id)) throw new InputError(name, id, 'set identifiers of 1 to 128 characters on one line');
    if (!Number.isInteger(w) || w < 0 || w > 255) throw new InputError(name, `${id}=${w}`, 'weights from 0 to 255');
  }
  if (!Object.keys(weights).length) throw new InputError(name, '', 'at least one set-identifier=weight');
  if (!allowAllZero && Object.values(weights).every((w) => w === 0))
    throw new InputError(name, Object.entries(weights).map(([k, v]) => `${k}=${v}`).join(','), 'at least one weight above 0 (all 0 sends traffic to every record equally; set allow-all-zero: true to mean it)');
  return weights;
}

function readLbHosts(input: Inputs): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [lb, ips] of Object.entries(input.keyValues('lb-hosts', LABEL))) {
    const list = ips.split(',').map((s) => s.trim()).filter(Boolean);
    if (!list.length || !list.every((ip) => validValue('A', ip))) throw new InputError('lb-hosts', `${lb}=${ips}`, '<lb>=<ip>[,<ip>...] lines of IPv4 addresses');
    out[lb] = list;
  }
  return out;
}

/** The gate before each next canary step: an HTTP URL answering as expected N times in a row, or a Route53 health check. */
import { setTimeout as sleep } from 'node:timers/promises';
import { escapeLog } from '../../shared/exec';
import type { Route53 } from '../../shared/route53';
import type { Config } from './config';

const ANSWER_TIMEOUT_MS = 10_000;
const BETWEEN_MS = 1_000;

/** The types whose status GetHealthCheckStatus reads; a calculated check's it cannot. */
const READABLE = ['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP'];

/** Refuses, before the first step, a gate health check whose status cannot be read (or that does not exist). */
export async function checkGateReadable(r53: Route53, id: string): Promise<void> {
  const type = await r53.healthCheckType(id);
  if (!READABLE.includes(type))
    throw new Error(`Input 'gate-health-check-id': ${id} is a ${escapeLog(type)} health check, whose status GetHealthCheckStatus cannot read; give an endpoint check (${READABLE.join(', ')})`);
}

/** Undefined when the gate passes, else why it did not. */
export async function checkGate(gate: NonNullable<Config['gate']>, r53: Route53, signal: AbortSignal): Promise<string | undefined> {
  if ('healthCheckId' in gate) {
    const status = await r53.healthy(gate.healthCheckId);
    return status.healthy ? undefined : `health check ${gate.healthCheckId} is not healthy: ${escapeLog(status.detail)}`;
  }
  for (let i = 0; i < gate.times; i++) {
    if (i) await sleep(BETWEEN_MS, undefined, { signal });
    let got: string;
    try {
      const res = await fetch(gate.url, { signal: AbortSignal.any([signal, AbortSignal.timeout(ANSWER_TIMEOUT_MS)]), redirect: 'manual' });
      await res.body?.cancel();
      if (res.status === gate.status) continue;
      got = `HTTP ${res.status}`;
    } catch (err) {
      signal.throwIfAborted();
      got = escapeLog(String((err as Error).cause ?? (err as Error).message));
    }
    return `${gate.url} answered ${got} (answer ${i + 1} of ${gate.times} in a row, expected HTTP ${gate.status})`;
  }
  return undefined;
}

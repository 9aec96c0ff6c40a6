/**
 * Fixed host ports (`9000:9000`) collide when one compose file runs several times on a host.
 * In the resolved model they are published without a host port, so Docker picks a free one.
 */
import type { ComposeModel } from '../../shared/compose';

export interface Rewrite {
  service: string;
  from: string;
  to: string;
}

/** `[host_ip:][published:]target[/protocol]` split into its parts; an IPv6 host is in brackets. */
function parseShort(value: string): { ip?: string; published?: string; target: string } {
  const ip = /^(\[[^\]]+\]):(.*)$/.exec(value);
  const parts = ip ? [ip[1]!, ...ip[2]!.split(':')] : value.split(':');
  const target = parts.pop()!;
  if (parts.length === 2) return { ip: parts[0], published: parts[1], target };
  return { published: parts[0], target };
}

export function rewritePorts(model: ComposeModel): { model: ComposeModel; rewrites: Rewrite[] } {
  const rewrites: Rewrite[] = [];
  const services: ComposeModel['services'] = {};
  for (const [name, svc] of Object.entries(model.services ?? {})) {
    const ports = (svc.ports ?? []).map((p) => {
      if (typeof p === 'string' || typeof p === 'number') {
        const { ip, published, target } = parseShort(String(p));
        if (!published) return p;
        const to = ip ? `${ip}::${target}` : target;
        rewrites.push({ service: name, from: String(p), to });
        return to;
      }
      const long = p as { target: number; published?: string | number; host_ip?: string; protocol?: string };
      if (long.published === undefined || long.published === '') return p;
      const { published, ...rest } = long;
      rewrites.push({ service: name, from: `${published}:${long.target}`, to: `${long.target}` });
      return rest;
    });
    services[name] = svc.ports ? { ...svc, ports } : svc;
  }
  return { model: { ...model, services }, rewrites };
}

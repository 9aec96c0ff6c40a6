/**
 * TEST DOUBLE (fault injection): an HTTP proxy in front of moto's Route53 that produces, on cue,
 * what moto never does: Throttling answers, changes that stay PENDING for a while, a rejected
 * change batch, refusals (AccessDenied) and server errors, names listed with Route 53's `\ooo`
 * escapes, and a deleted health check's CallerReference that stays taken (real Route 53 keeps it
 * for days: API Reference, CreateHealthCheck). Everything else is forwarded to moto untouched,
 * and every request is counted by operation. The action runs as its own process, so the faults
 * sit on its HTTP path rather than in SDK middleware; the client sees the same answers.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const ERROR = (code: string, message: string) =>
  `<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`;

export class Route53Faults {
  /** Answer the next N ChangeResourceRecordSets with 400 Throttling. */
  throttle = 0;
  /** Report the next N GetChange answers as PENDING. */
  pending = 0;
  /** Answer every ChangeResourceRecordSets with 400 InvalidChangeBatch. */
  reject = false;
  /** Health checks whose GetHealthCheckStatus reports failure (moto always reports success). */
  readonly unhealthy = new Set<string>();
  /** Answer a request with 403 AccessDenied when this says so (it sees the operation, and the calls so far). */
  refuse?: (op: string) => boolean;
  /** Answer the next N requests of an operation with HTTP 500 and an HTML page, as a broken endpoint or proxy does. */
  readonly serverError = new Map<string, number>();
  /** List names as real Route 53 does: `*` as `\052`. */
  escapeNames = false;
  /** CallerReferences of health checks made through here by id, and those of deleted ones, which stay taken. */
  private readonly references = new Map<string, string>();
  private readonly taken = new Set<string>();
  readonly calls: { op: string; at: number; body: string }[] = [];
  private server?: http.Server;
  url = '';

  constructor(readonly upstream: string) {}

  private take(counts: Map<string, number>, op: string): boolean {
    const n = counts.get(op) ?? 0;
    if (n > 0) counts.set(op, n - 1);
    return n > 0;
  }

  count(op: string): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const url = req.url ?? '';
        const op = /\/rrset\/?$/.test(url) && req.method === 'POST'
          ? 'ChangeResourceRecordSets'
          : /\/change\//.test(url)
            ? 'GetChange'
            : /\/rrset/.test(url)
              ? 'ListResourceRecordSets'
              : /\/healthcheck\/[^/]+\/status/.test(url)
                ? 'GetHealthCheckStatus'
                : /\/healthcheck\/?$/.test(url.split('?')[0]!) && req.method === 'POST'
                  ? 'CreateHealthCheck'
                  : /\/healthcheck\/[^/]+$/.test(url.split('?')[0]!) && req.method === 'DELETE'
                    ? 'DeleteHealthCheck'
                    : `${req.method} ${url.split('?')[0]}`;
        this.calls.push({ op, at: Date.now(), body: body.toString('utf8') });
        if (op === 'ChangeResourceRecordSets' && this.throttle > 0) {
          this.throttle--;
          return res.writeHead(400, { 'content-type': 'text/xml' }).end(ERROR('Throttling', 'Rate exceeded'));
        }
        if (this.refuse?.(op)) return res.writeHead(403, { 'content-type': 'text/xml' }).end(ERROR('AccessDenied', `User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: route53:${op}`));
        if (this.take(this.serverError, op)) return res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body><h1>500 Internal Server Error</h1></body></html>');
        const reference = op === 'CreateHealthCheck' ? /<CallerReference>([^<]*)<\/CallerReference>/.exec(body.toString('utf8'))?.[1] : undefined;
        if (reference && this.taken.has(reference))
          return res.writeHead(409, { 'content-type': 'text/xml' }).end(ERROR('HealthCheckAlreadyExists', `A health check with the caller reference ${reference} already exists or was deleted recently.`));
        if (op === 'DeleteHealthCheck') {
          const deleted = this.references.get(url.split('?')[0]!.split('/').pop()!);
          if (deleted) this.taken.add(deleted);
        }
        if (op === 'ChangeResourceRecordSets' && this.reject)
          return res.writeHead(400, { 'content-type': 'text/xml' }).end(ERROR('InvalidChangeBatch', 'RRSet with DNS name api.example.com., type A, SetIdentifier green cannot be created as weighted sets must contain the same TTL.'));
        const up = http.request(`${this.upstream}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(this.upstream).host } }, (upRes) => {
          const out: Buffer[] = [];
          upRes.on('data', (c: Buffer) => out.push(c));
          upRes.on('end', () => {
            let text = Buffer.concat(out).toString('utf8');
            if (op === 'GetHealthCheckStatus' && [...this.unhealthy].some((id) => url.includes(id)))
              text = text.replace(/<Status>Success[^<]*<\/Status>/g, '<Status>Failure: HTTP Status Code 503, Service Unavailable</Status>');
            if (reference) {
              const id = /<Id>([^<]*)<\/Id>/.exec(text)?.[1];
              if (id) this.references.set(id, reference);
            }
            if (op === 'ListResourceRecordSets' && this.escapeNames) text = text.replace(/<Name>\*\./g, '<Name>\\052.');
            if (op === 'GetChange' && this.pending > 0) {
              this.pending--;
              text = text.replace('<Status>INSYNC</Status>', '<Status>PENDING</Status>');
            }
            const headers = { ...upRes.headers };
            delete headers['content-length'];
            res.writeHead(upRes.statusCode ?? 502, headers).end(text);
          });
        });
        up.on('error', (e) => res.writeHead(502).end(e.message));
        up.end(body);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

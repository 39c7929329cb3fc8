import type { OriginExampleConfig } from '@foresight/config';
import { decode, encode } from '@foresight/messaging';
import { seededRng } from '@foresight/random';
import { sleep, systemClock, type Clock } from '@foresight/time';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { NatsConnection, Subscription } from 'nats';
import { behaviourFor, item, parseRules, type Behaviour, type Rule } from './behaviour';

/** What the origin served, for tests and benchmarks (`GET /admin/stats`). */
export interface OriginStats {
  requests: number;
  ok: number;
  failed: number;
  /** Requests per key (the first 10,000 keys). */
  keys: Record<string, number>;
}

const MAX_BODY = 64 * 1024;

/**
 * The example origin: `GET /items/:key` answers a JSON item of the configured size after the
 * configured latency; rules set at run time (`PUT /admin/rules`) make key prefixes slow, failing or
 * garbage-returning; `POST /admin/bump` changes an item's version (to see invalidation work). The
 * same items are served on a NATS subject when one is configured.
 */
export class OriginServer {
  readonly stats: OriginStats = { requests: 0, ok: 0, failed: 0, keys: {} };
  private rules: Rule[] = [];
  private readonly versions = new Map<string, number>();
  private readonly rng;
  private server: Server | null = null;
  private sub: Subscription | null = null;

  constructor(
    private readonly config: OriginExampleConfig,
    private readonly clock: Clock = systemClock,
  ) {
    this.rng = seededRng(config.seed);
  }

  /** Listens; resolves with the port. */
  async listen(): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.config.port, this.config.host, () => resolve());
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.config.port;
  }

  /** Answers `{ key }` requests on the configured subject: `{ value }` or `{ error: { code, message } }`. */
  serveNats(nc: NatsConnection, subject: string): void {
    this.sub = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        let key: unknown;
        try {
          key = decode<{ key?: unknown }>(msg.data).key;
        } catch {
          key = undefined;
        }
        if (typeof key !== 'string' || key.length === 0) {
          msg.respond(encode({ error: { code: 'BAD_REQUEST', message: 'Send {"key": "<key>"} as MessagePack.' } }));
          return;
        }
        void this.answer(key).then((a) => {
          if (a.kind === 'ok') msg.respond(encode({ value: JSON.parse(a.body) as unknown }));
          else if (a.kind === 'garbage') msg.respond(new Uint8Array([0xc1, 0x00, 0xff]));
          else if (a.status === 404) msg.respond(encode({ error: { code: 'NOT_FOUND', message: `no item ${key}` } }));
          else msg.respond(encode({ error: { code: 'FAILED', message: `origin failure (status ${a.status})` } }));
        });
      },
    });
  }

  async close(): Promise<void> {
    this.sub?.unsubscribe();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }

  private async answer(key: string): Promise<{ kind: 'ok'; body: string } | { kind: 'garbage' } | { kind: 'failed'; status: number }> {
    const b: Behaviour = behaviourFor(
      key,
      { latencyMs: this.config.latencyMs, payloadBytes: this.config.payloadBytes, failureRate: this.config.failureRate },
      this.rules,
    );
    this.stats.requests++;
    if (key in this.stats.keys || Object.keys(this.stats.keys).length < 10_000) this.stats.keys[key] = (this.stats.keys[key] ?? 0) + 1;
    // The item as of the request's arrival; the latency is the time it takes to come back.
    const version = this.versions.get(key) ?? 1;
    if (b.latencyMs > 0) await sleep(b.latencyMs);
    if (b.status !== undefined && b.status >= 400) {
      this.stats.failed++;
      return { kind: 'failed', status: b.status };
    }
    if (b.failureRate > 0 && this.rng() < b.failureRate) {
      this.stats.failed++;
      return { kind: 'failed', status: 500 };
    }
    this.stats.ok++;
    if (b.garbage) return { kind: 'garbage' };
    return { kind: 'ok', body: item(key, version, b.payloadBytes, this.clock.now()) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://origin');
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    try {
      if (req.method === 'GET' && url.pathname === '/health') return send(200, { ok: true });
      if (req.method === 'GET' && url.pathname.startsWith('/items/')) {
        const key = decodeURIComponent(url.pathname.slice('/items/'.length));
        if (key.length === 0) return send(400, { error: 'empty key' });
        const a = await this.answer(key);
        if (a.kind === 'ok') return send(200, a.body);
        if (a.kind === 'garbage') return send(200, '<<<this is not json>>>');
        return send(a.status, { error: `origin failure for ${key}` });
      }
      if (req.method === 'GET' && url.pathname === '/admin/stats') return send(200, this.stats);
      if (req.method === 'POST' && url.pathname === '/admin/reset-stats') {
        Object.assign(this.stats, { requests: 0, ok: 0, failed: 0, keys: {} });
        return send(200, this.stats);
      }
      if (req.method === 'PUT' && url.pathname === '/admin/rules') {
        const rules = parseRules(await readJson(req));
        if (typeof rules === 'string') return send(400, { error: rules });
        this.rules = rules;
        return send(200, { rules });
      }
      if (req.method === 'POST' && url.pathname === '/admin/bump') {
        const key = ((await readJson(req)) as { key?: unknown } | null)?.key;
        if (typeof key !== 'string') return send(400, { error: 'Send {"key": "<key>"}.' });
        const version = (this.versions.get(key) ?? 1) + 1;
        this.versions.set(key, version);
        return send(200, { key, version });
      }
      return send(404, { error: `No route ${req.method} ${url.pathname}; try GET /items/<key>.` });
    } catch (error) {
      return send(400, { error: (error as Error).message });
    }
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    throw new Error('The body is not valid JSON.');
  }
}

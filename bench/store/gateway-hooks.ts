/*
 * npm run bench:gateway-hooks -- [options]
 *
 * What each of the gateway's per-request hooks costs a read answered from memory, in CPU µs per
 * request: one Fastify instance per variant with the variable route answering a fixed ~1 KiB value
 * (as a read from the edge cache does), requests through Fastify's inject (no sockets: the socket
 * work is the same in every variant), variants alternated round by round, medians reported. The
 * "as before" variants are the hooks as the gateway ran them until this change: @fastify/helmet's
 * helmet(options) on every request, an AbortController and a close listener per request, an HMAC
 * of the session id per answer, and async hooks; "now" uses the gateway's own modules.
 */
import { defineCommand } from '@foresight/cli';
import { generateSessionId, isIssuedSessionId } from '@foresight/session-domain';
import Fastify, { type FastifyInstance } from 'fastify';
import helmet from 'helmet';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { HELMET_OPTIONS, securityHeaders } from '../../apps/gateway/src/common/security-headers';
import { IssuedIds } from '../../apps/gateway/src/common/issued-ids';
import type { AffinityView } from '../../apps/gateway/src/edges/affinity-view';
import { PreferredEdges } from '../../apps/gateway/src/edges/preferred-edge.hook';
import { trackCallers } from '../../apps/gateway/src/routing/call-context';

const cli = defineCommand({
  run: 'npm run bench:gateway-hooks --',
  summary:
    "CPU per request of the gateway's per-request hooks on a read answered from memory, each as before and now, " +
    'through Fastify inject, variants alternated; prints medians and writes JSON.',
  options: {
    requests: { type: 'integer', description: 'requests per round and variant', default: 20_000, min: 100 },
    rounds: { type: 'integer', description: 'rounds per variant (alternated; the median is reported)', default: 7, min: 1 },
    out: { type: 'string', description: 'JSON result file', default: '.bench-results/gateway-hooks.json' },
  },
  examples: ['npm run bench:gateway-hooks', 'nice -n 10 node dist/bench/store/gateway-hooks.js --requests 50000 --rounds 9'],
});

const { requests, rounds, out } = cli.parseOrExit(process.argv.slice(2));

const SECRET = 'bench-gateway-hooks-secret-0123456789abcdef';
const sessionId = generateSessionId(SECRET);
const URL = `/v1/sessions/${sessionId}/vars/cart/items`;
const VALUE = {
  value: {
    items: Array.from({ length: 8 }, (_, i) => ({ sku: `SKU-${1000 + i}`, name: 'Trail running shoes, size 42', qty: 1 + i, unitPriceCents: 8999 + i })),
  },
  version: 7,
};
const view = { preferredEdge: () => ({ url: 'http://edge-a.example:3000', source: 'record' as const }) } as unknown as AffinityView;
const isIssued = (id: string) => isIssuedSessionId(id, SECRET);

type Install = (app: FastifyInstance) => void;

/** @fastify/helmet as it ran: a reply decorator made per request, then helmet(options) applied per request. */
const helmetPerRequest: Install = (app) => {
  app.addHook('onRequest', async (_request, reply) => {
    (reply as unknown as { helmet: unknown }).helmet = () => undefined;
  });
  app.addHook('onRequest', (request, reply, done) => helmet(HELMET_OPTIONS)(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)));
};
const helmetOnce: Install = (app) => {
  const headers = securityHeaders();
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of headers) reply.header(name, value);
    done();
  });
};
/** The caller-gone signal as it was made: per request, in an async hook. */
const abortPerRequest: Install = (app) => {
  const signals = new WeakMap<IncomingMessage, AbortSignal>();
  app.addHook('onRequest', async (request, reply) => {
    const controller = new AbortController();
    const response = reply.raw;
    response.once('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    signals.set(request.raw, controller.signal);
  });
};
/** The preferred-edge hook as it was: async, the id's HMAC checked on every answer. */
const edgePerRequest: Install = (app) => {
  const edges = new PreferredEdges(view, true, isIssued);
  app.addHook('onSend', async (request, reply, payload) => {
    const m = /^\/v1\/sessions\/([A-Za-z0-9_-]{1,128})(?:[/?]|$)/.exec(request.url);
    if (m && !reply.hasHeader('foresight-preferred-edge') && isIssued(m[1]!)) edges.set(request, reply, m[1]!);
    return payload;
  });
};
const edgeNow: Install = (app) => {
  const issued = new IssuedIds(isIssued);
  new PreferredEdges(view, true, (id) => issued.has(id)).install(app);
};
/** The correlation-id and metrics hooks as async functions (their work left out: the same in both). */
const asyncHooks: Install = (app) => {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-correlation-id', request.id);
    return payload;
  });
  app.addHook('onResponse', async () => undefined);
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'GET') return;
  });
};
const callbackHooks: Install = (app) => {
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-correlation-id', request.id);
    done(null, payload);
  });
  app.addHook('onResponse', (_request, _reply, done) => done());
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.method !== 'GET') return done();
    done();
  });
};

const VARIANTS: Record<string, Install[]> = {
  bare: [],
  'helmet, as before': [helmetPerRequest],
  'helmet, now': [helmetOnce],
  'caller-gone signal, as before': [abortPerRequest],
  'caller-gone signal, now': [trackCallers],
  'preferred-edge header, as before': [edgePerRequest],
  'preferred-edge header, now': [edgeNow],
  'other hooks async, as before': [asyncHooks],
  'other hooks callback, now': [callbackHooks],
  'all, as before': [asyncHooks, abortPerRequest, helmetPerRequest, edgePerRequest],
  'all, now': [callbackHooks, trackCallers, helmetOnce, edgeNow],
};

async function build(installs: Install[]): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  for (const install of installs) install(app);
  app.get('/v1/sessions/:id/vars/:group/:name', (_request, reply) => {
    reply.send(VALUE);
  });
  await app.ready();
  return app;
}

async function round(app: FastifyInstance): Promise<number> {
  const cpu = process.cpuUsage();
  for (let i = 0; i < requests; i++) {
    const res = await app.inject({ method: 'GET', url: URL });
    if (res.statusCode !== 200) throw new Error(`unexpected status ${res.statusCode}`);
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / requests;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const apps = new Map<string, FastifyInstance>();
  for (const [name, installs] of Object.entries(VARIANTS)) apps.set(name, await build(installs));
  const samples = new Map<string, number[]>([...apps.keys()].map((k) => [k, []]));
  for (const app of apps.values()) await round(app); // warm-up
  for (let r = 0; r < rounds; r++) {
    // Alternate the order, so drift of the shared machine falls on every variant alike.
    const names = r % 2 === 0 ? [...apps.keys()] : [...apps.keys()].reverse();
    for (const name of names) samples.get(name)!.push(await round(apps.get(name)!));
    process.stderr.write(`[bench:gateway-hooks] round ${r + 1}/${rounds}\n`);
  }
  const bare = median(samples.get('bare')!);
  const rows = [...samples].map(([variant, xs]) => ({
    variant,
    cpuUsPerRequest: +median(xs).toFixed(2),
    overBareUs: +(median(xs) - bare).toFixed(2),
    spreadUs: `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`,
  }));
  console.table(rows);
  process.stdout.write(`1-minute load average before / after: ${loadBefore[0]!.toFixed(1)} / ${loadavg()[0]!.toFixed(1)}\n`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      { measuredAt: new Date().toISOString(), node: process.version, requests, rounds, loadavgBefore: loadBefore, loadavgAfter: loadavg(), rows },
      null,
      2,
    ),
  );
  process.stderr.write(`wrote ${out}\n`);
  for (const app of apps.values()) await app.close();
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench:gateway-hooks failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

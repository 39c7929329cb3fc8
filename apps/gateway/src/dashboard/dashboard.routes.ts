import { ErrorCodes, ForesightError } from '@foresight/contracts';
import type { Logger } from '@foresight/observability';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { sendError, toHttpError } from '../common/error.filter';
import type { DashboardFeed } from './dashboard-feed';
import { OPERATOR_CHALLENGE, type OperatorAuth } from './operator-auth';

export const DASHBOARD_PATH = '/dashboard';

/** At most this many pages follow the event stream at once; one more gets 503. */
export const MAX_DASHBOARD_STREAMS = 32;

/** The page's own files (beside this module, copied into dist by the build) and uPlot from node_modules. */
function assets(): Map<string, { body: Buffer; type: string }> {
  const own = join(__dirname, 'public');
  const uplot = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const files: [string, string, string][] = [
    ['dashboard.js', join(own, 'dashboard.js'), 'text/javascript; charset=utf-8'],
    ['dashboard.css', join(own, 'dashboard.css'), 'text/css; charset=utf-8'],
    ['uPlot.iife.min.js', join(uplot, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['uPlot.min.css', join(uplot, 'uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  return new Map(files.map(([name, file, type]) => [name, { body: readFileSync(file), type }]));
}

/** The page may load only its own files and talk only to its own origin. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface DashboardRoutesDeps {
  readonly feed: DashboardFeed;
  readonly auth: OperatorAuth;
  readonly logger: Logger;
}

/**
 * `GET /dashboard` (the page), `/dashboard/assets/<file>`, `/dashboard/snapshot` (JSON: the newest
 * snapshot and the history) and `/dashboard/events` (Server-Sent Events: `history` once, then a
 * `snapshot` per interval). Every one needs an operator key; errors use the gateway's envelope.
 */
export async function installDashboardRoutes(fastify: FastifyInstance, deps: DashboardRoutesDeps): Promise<void> {
  const files = assets();
  const html = readFileSync(join(__dirname, 'public', 'index.html'));
  const streams = new Set<ServerResponse>();

  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const check = deps.auth.check(request.headers);
      if (check.ok) return;
      if (check.code === ErrorCodes.UNAUTHENTICATED) reply.header('www-authenticate', OPERATOR_CHALLENGE);
      sendError(reply, request, toHttpError(new ForesightError(check.code, check.message), request, deps.logger));
      return reply;
    });

    scope.get(DASHBOARD_PATH, async (_request, reply) => reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(html));

    scope.get<{ Params: { name: string } }>(`${DASHBOARD_PATH}/assets/:name`, async (request, reply) => {
      const file = files.get(request.params.name);
      if (!file) throw new ForesightError(ErrorCodes.ROUTE_NOT_FOUND, 'No such dashboard file.');
      return reply
        .headers({ ...PAGE_HEADERS, 'cache-control': 'private, max-age=300' })
        .type(file.type)
        .send(file.body);
    });

    scope.get(`${DASHBOARD_PATH}/snapshot`, async (_request, reply) => {
      const snapshot = await deps.feed.snapshot();
      return reply.headers({ 'cache-control': 'no-store' }).send({ snapshot, history: deps.feed.history() });
    });

    scope.get(`${DASHBOARD_PATH}/events`, (request, reply) => openStream(request, reply, deps, streams));
  });

  // Open streams would keep the server from closing: end them first.
  fastify.addHook('preClose', async () => {
    for (const res of streams) res.end();
    streams.clear();
  });
}

function openStream(request: FastifyRequest, reply: FastifyReply, deps: DashboardRoutesDeps, streams: Set<ServerResponse>): void {
  if (streams.size >= MAX_DASHBOARD_STREAMS) {
    throw new ForesightError(ErrorCodes.UNAVAILABLE, `${MAX_DASHBOARD_STREAMS} dashboards are open already; close one and retry.`);
  }
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...PAGE_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-correlation-id': String(request.id),
  });
  streams.add(res);
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  // The browser reconnects after 2 s should the stream break (a gateway restart).
  res.write('retry: 2000\n\n');
  send('history', { history: deps.feed.history() });
  const unsubscribe = deps.feed.subscribe((snapshot) => send('snapshot', snapshot));
  // Snapshots flow every interval; a comment now and then keeps idle proxies from closing the stream.
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  const close = () => {
    clearInterval(keepAlive);
    unsubscribe();
    streams.delete(res);
  };
  request.raw.once('close', close);
  res.once('close', close);
}

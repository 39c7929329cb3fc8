import { ErrorCodes } from '@foresight/contracts';
import type { Logger } from '@foresight/observability';
import Fastify, { type FastifyInstance } from 'fastify';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendError, toHttpError } from '../common/error.filter';
import type { DashboardFeed } from './dashboard-feed';
import { installDashboardRoutes, MAX_DASHBOARD_STREAMS } from './dashboard.routes';
import { OperatorAuth } from './operator-auth';

const logger = { error: () => undefined, debug: () => undefined, warn: () => undefined, info: () => undefined } as unknown as Logger;
const feed = { snapshot: async () => ({ at: 'now' }), history: () => [{ t: 1 }], subscribe: () => () => undefined } as unknown as DashboardFeed;
const basic = (password: string) => `Basic ${Buffer.from(`operator:${password}`).toString('base64')}`;

/** A Fastify instance with the gateway's error handler, as main.ts sets it, and the dashboard routes. */
async function app(withFeed: DashboardFeed = feed): Promise<FastifyInstance> {
  const fastify = Fastify();
  fastify.setErrorHandler((error, request, reply) => sendError(reply, request, toHttpError(error, request, logger)));
  await installDashboardRoutes(fastify, { feed: withFeed, auth: new OperatorAuth(['op-key'], ['dev-key']), logger });
  await fastify.ready();
  return fastify;
}

/** Opens `/dashboard/events` on a listening server; resolves with the response once the first bytes arrived. */
function openStream(port: number): Promise<{ res: IncomingMessage; text: () => string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/dashboard/events', headers: { 'x-operator-key': 'op-key' }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const first = text === '';
        text += chunk;
        if (first) resolve({ res, text: () => text });
      });
      res.on('error', () => undefined);
      if (res.statusCode !== 200) res.resume();
      if (res.statusCode !== 200) resolve({ res, text: () => text });
    });
    req.on('error', reject);
  });
}

describe('the dashboard routes', () => {
  let fastify: FastifyInstance;
  beforeAll(async () => (fastify = await app()));
  afterAll(() => fastify.close());

  it.each(['/dashboard', '/dashboard/snapshot', '/dashboard/events', '/dashboard/assets/dashboard.js'])(
    'answers %s without a key with 401 in the error envelope and a Basic challenge',
    async (url) => {
      const r = await fastify.inject({ url });
      expect(r.statusCode).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Basic realm="Foresight operators"/);
      expect(r.json()).toEqual({
        error: { code: ErrorCodes.UNAUTHENTICATED, message: expect.stringMatching(/operator key/), correlationId: expect.any(String) },
      });
    },
  );

  it('answers a back-end API key with 403 and a wrong operator key with 401', async () => {
    const forbidden = await fastify.inject({ url: '/dashboard', headers: { 'x-api-key': 'dev-key' } });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.code).toBe(ErrorCodes.FORBIDDEN);
    expect(forbidden.headers['www-authenticate']).toBeUndefined();
    const wrong = await fastify.inject({ url: '/dashboard', headers: { authorization: basic('nope') } });
    expect(wrong.statusCode).toBe(401);
  });

  it('serves the page with a strict content security policy, its files, uPlot and the snapshot', async () => {
    const page = await fastify.inject({ url: '/dashboard', headers: { authorization: basic('op-key') } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.body).toContain('/dashboard/assets/dashboard.js');
    for (const [name, type] of [
      ['dashboard.js', /^text\/javascript/],
      ['dashboard.css', /^text\/css/],
      ['uPlot.iife.min.js', /^text\/javascript/],
      ['uPlot.min.css', /^text\/css/],
    ] as const) {
      const r = await fastify.inject({ url: `/dashboard/assets/${name}`, headers: { 'x-operator-key': 'op-key' } });
      expect([name, r.statusCode]).toEqual([name, 200]);
      expect(r.headers['content-type']).toMatch(type);
      expect(r.body.length).toBeGreaterThan(100);
    }
    const snapshot = await fastify.inject({ url: '/dashboard/snapshot', headers: { 'x-operator-key': 'op-key' } });
    expect(snapshot.json()).toEqual({ snapshot: { at: 'now' }, history: [{ t: 1 }] });
  });

  it('serves no file outside its list', async () => {
    for (const name of ['..%2F..%2Fpackage.json', 'index.html', 'dashboard.routes.js']) {
      const r = await fastify.inject({ url: `/dashboard/assets/${name}`, headers: { 'x-operator-key': 'op-key' } });
      expect([name, r.statusCode, r.json().error.code]).toEqual([name, 404, ErrorCodes.ROUTE_NOT_FOUND]);
    }
  });

  it('streams the history then each snapshot as Server-Sent Events, refuses a stream past the limit, and ends every stream when the server closes', async () => {
    const listeners = new Set<(s: unknown) => void>();
    const live = {
      ...feed,
      subscribe: (l: (s: unknown) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    } as unknown as DashboardFeed;
    const server = await app(live);
    await server.listen({ host: '127.0.0.1', port: 0 });
    const port = (server.server.address() as AddressInfo).port;
    try {
      const first = await openStream(port);
      expect(first.res.statusCode).toBe(200);
      expect(first.res.headers['content-type']).toMatch(/^text\/event-stream/);
      for (const l of listeners) l({ at: 'then' });
      const ended = new Promise<void>((resolve) => first.res.on('end', resolve));
      await new Promise<void>((resolve) => first.res.on('data', () => first.text().includes('"then"') && resolve()));
      expect(first.text()).toMatch(/^retry: 2000\n\nevent: history\ndata: \{"history":\[\{"t":1\}\]\}\n\nevent: snapshot\ndata: \{"at":"then"\}\n\n$/);
      const more = await Promise.all(Array.from({ length: MAX_DASHBOARD_STREAMS - 1 }, () => openStream(port)));
      expect(more.every((m) => m.res.statusCode === 200)).toBe(true);
      const refused = await openStream(port);
      expect(refused.res.statusCode).toBe(503);
      expect(listeners.size).toBe(MAX_DASHBOARD_STREAMS);
      // Open streams do not hold the gateway's shutdown.
      await server.close();
      await ended;
      expect(listeners.size).toBe(0);
    } finally {
      await server.close();
    }
  }, 20_000);
});

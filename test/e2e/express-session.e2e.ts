import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { ForesightClient } from '@foresight/client';
import { ForesightStore, foresightSession, type ForesightSessionOptions } from '@foresight/express-session';
import { eventually } from '@foresight/testing';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { SessionData } from 'express-session';
import { createShopApp } from '../../examples/express-shop/src/app';
import type { LocalStack } from '../../scripts/local-stack';
import { startTestStack } from './support';

declare module 'express-session' {
  interface SessionData {
    count?: number;
    basket?: string[];
    user?: { name: string };
    ['odd field']?: string;
  }
}

const SECRET = 'keyboard cat';

/** A cookie value as express-session signs it (cookie-signature: HMAC-SHA256, base64 without padding). */
const sign = (value: string, secret: string) => `${value}.${createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '')}`;

/** A browser of one: keeps the session cookie between requests. */
function browser(base: string) {
  let cookie: string | undefined;
  return {
    get cookie() {
      return cookie;
    },
    set cookie(value: string | undefined) {
      cookie = value;
    },
    async request(path: string, method = 'GET') {
      const r = await fetch(`${base}${path}`, { method, headers: cookie ? { cookie } : {} });
      const set = r.headers.get('set-cookie');
      if (set) cookie = set.split(';')[0];
      const text = await r.text();
      return { status: r.status, setCookie: set, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
  };
}

/**
 * The store against the real stack, through express-session itself: the behaviour express-session's
 * and connect-redis's own suites expect of a store, and what Foresight adds (groups, per-field writes).
 */
describe('@foresight/express-session through express-session (gateway, metadata, shard, origin as processes)', () => {
  let stack: LocalStack;
  let client: ForesightClient;
  const servers: Server[] = [];

  async function app(options: Partial<ForesightSessionOptions> = {}, routes: (a: Express) => void = () => undefined) {
    const handlers = foresightSession({
      client,
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      groups: { basket: 'cart', user: 'auth' },
      ...options,
    });
    await handlers.store.ready();
    const a = express();
    a.use(...handlers);
    a.get('/count', (req, res) => {
      req.session.count = (req.session.count ?? 0) + 1;
      res.json({ count: req.session.count, id: req.sessionID });
    });
    a.get('/peek', (req, res) => res.json({ session: req.session, id: req.sessionID }));
    routes(a);
    a.use((error: Error, _req: Request, res: Response, _next: NextFunction) => res.status(500).json({ error: error.message }));
    const server = a.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, store: handlers.store };
  }

  beforeAll(async () => {
    stack = await startTestStack('express_session', { shardNodes: 1, originExample: {} });
    client = new ForesightClient({ baseUrl: stack.gatewayUrl, apiKey: stack.apiKey, agent: false });
  }, 180_000);

  afterAll(async () => {
    for (const s of servers) s.close();
    client?.close();
    await stack?.stop();
  }, 60_000);

  it('creates a session, sets the cookie, and loads it again from the cookie', async () => {
    const { base } = await app();
    const b = browser(base);
    const first = await b.request('/count');
    expect(first.setCookie).toMatch(/^connect\.sid=s%3A[A-Za-z0-9_-]+\./);
    const second = await b.request('/count');
    expect([first.body.count, second.body.count]).toEqual([1, 2]);
    expect(second.body.id).toBe(first.body.id);
    // The express-session id is the Foresight session id: the data is there, in the default group.
    expect((await client.getSession(String(first.body.id))).groups.app).toMatchObject({
      count: 2,
      cookie: expect.objectContaining({ httpOnly: true, path: '/' }),
    });
  });

  it('a cookie with an unknown, forged or malformed id is "no session": a new one, never an error', async () => {
    const { base } = await app();
    for (const id of ['A'.repeat(32), 'not-an-issued-id', 'x'.repeat(200), '%%%']) {
      const b = browser(base);
      b.cookie = `connect.sid=${encodeURIComponent(`s:${sign(id, SECRET)}`)}`;
      const r = await b.request('/count');
      expect({ id, status: r.status, count: r.body.count }).toEqual({ id, status: 200, count: 1 });
      expect(r.body.id).not.toBe(id);
    }
    const tampered = browser(base);
    tampered.cookie = 'connect.sid=s%3Agarbage.notasignature';
    expect((await tampered.request('/count')).body.count).toBe(1);
  });

  it('saveUninitialized false: an untouched session is not saved, sets no cookie, and its id goes back to the pool', async () => {
    const { base, store } = await app();
    const before = store.pool.available;
    const r = await browser(base).request('/peek');
    expect(r.setCookie).toBeNull();
    await eventually(() => (store.pool.available >= before ? true : undefined), 2000, 'the id back in the pool');
    // Unsaved pooled sessions hold no cookie: express-session sees no session there.
    const loaded = await new Promise<SessionData | null | undefined>((resolve, reject) => store.get(String(r.body.id), (e, s) => (e ? reject(e) : resolve(s))));
    expect(loaded).toBeNull();
  });

  it('resave false: an unmodified session is not written again', async () => {
    const { base } = await app();
    const b = browser(base);
    const { body } = await b.request('/count');
    const version = (await client.getSession(String(body.id))).version;
    await b.request('/peek');
    await b.request('/peek');
    expect((await client.getSession(String(body.id))).version).toBe(version);
  });

  it('writes only the fields that changed, each field to its group, odd names together', async () => {
    const { base } = await app({}, (a) => {
      a.get('/login', (req, res) => {
        req.session.user = { name: 'ada' };
        req.session['odd field'] = 'kept';
        res.json({ id: req.sessionID });
      });
      a.get('/add/:sku', (req, res) => {
        req.session.basket = [...(req.session.basket ?? []), String(req.params.sku)];
        res.json({ basket: req.session.basket });
      });
      a.get('/logout-user', (req, res) => {
        delete req.session.user;
        res.json({});
      });
    });
    const b = browser(base);
    const id = String((await b.request('/login')).body.id);
    const v1 = (await client.getSession(id)).version;
    await b.request('/add/A-1');
    const view = await client.getSession(id);
    // One field changed, one write; the cookie's moving expiry is not a change.
    expect(view.version).toBe(v1 + 1);
    expect(view.groups).toMatchObject({ cart: { basket: ['A-1'] }, auth: { user: { name: 'ada' } }, app: { __extra: { 'odd field': 'kept' } } });
    await b.request('/logout-user');
    expect((await client.getSession(id)).groups.auth).toEqual({});
    expect((await b.request('/peek')).body.session).toMatchObject({ basket: ['A-1'], 'odd field': 'kept' });
  });

  it('a route that declares its groups loads only those, and saving there keeps the others', async () => {
    const { base } = await app({ groupsFor: (req) => ((req as unknown as Request).url.startsWith('/cart') ? ['cart'] : undefined) }, (a) => {
      a.get('/setup', (req, res) => {
        req.session.user = { name: 'bob' };
        req.session.basket = ['B-1'];
        res.json({});
      });
      a.get('/cart/add', (req, res) => {
        const seen = { user: req.session.user ?? null, basket: req.session.basket ?? null };
        req.session.basket = [...(req.session.basket ?? []), 'B-2'];
        res.json(seen);
      });
    });
    const b = browser(base);
    await b.request('/setup');
    const seen = await b.request('/cart/add');
    expect(seen.body).toEqual({ user: null, basket: ['B-1'] });
    expect((await b.request('/peek')).body.session).toMatchObject({ user: { name: 'bob' }, basket: ['B-1', 'B-2'] });
  });

  it('regenerate, destroy, reload and save behave as express-session expects', async () => {
    const { base } = await app({}, (a) => {
      a.get('/regenerate', (req, res, next) => {
        const old = req.sessionID;
        req.session.regenerate((err) => (err ? next(err) : ((req.session.count = 100), res.json({ old, id: req.sessionID }))));
      });
      a.get('/destroy', (req, res, next) => {
        const id = req.sessionID;
        req.session.destroy((err) => (err ? next(err) : res.json({ id })));
      });
      a.get('/reload', (req, res, next) => {
        const id = req.sessionID;
        void client
          .setVariable(id, 'app', 'count', 41)
          .then(() => req.session.reload((err) => (err ? next(err) : res.json({ count: req.session.count }))), next);
      });
      a.get('/save', (req, res, next) => {
        req.session.count = 7;
        req.session.save((err) => (err ? next(err) : client.getSession(req.sessionID).then((v) => res.json({ stored: v.groups.app?.count }), next)));
      });
    });
    const b = browser(base);
    await b.request('/count');
    const regen = await b.request('/regenerate');
    expect(regen.body.id).not.toBe(regen.body.old);
    await expect(client.getSession(String(regen.body.old))).rejects.toMatchObject({ code: 'SESSION.ENDED' });
    expect((await b.request('/count')).body.count).toBe(101);
    expect((await b.request('/reload')).body.count).toBe(41);
    expect((await b.request('/save')).body.stored).toBe(7);
    const destroyed = await b.request('/destroy');
    await expect(client.getSession(String(destroyed.body.id))).rejects.toMatchObject({ code: 'SESSION.ENDED' });
    expect((await b.request('/count')).body.count).toBe(1);
  });

  it('the store API as connect-redis tests it: set, get, touch, destroy; no all/length/clear', async () => {
    const store = new ForesightStore({ client });
    await store.ready();
    const id = store.genid();
    const call = <T>(fn: (cb: (err?: unknown, v?: T) => void) => void) =>
      new Promise<T | undefined>((resolve, reject) => fn((e, v) => (e ? reject(e) : resolve(v))));
    const sess = {
      cookie: { originalMaxAge: 2000, expires: new Date(Date.now() + 2000).toISOString(), httpOnly: true, path: '/' },
      name: 'sid',
    } as unknown as SessionData;
    await call((cb) => store.set(id, sess, cb));
    expect(await call((cb) => store.get(id, cb))).toEqual(sess);
    await call((cb) => store.touch(id, sess, cb));
    await call((cb) => store.destroy(id, cb));
    expect(await call((cb) => store.get(id, cb))).toBeNull();
    await call((cb) => store.destroy(id, cb)); // destroying twice is fine
    expect(await call((cb) => store.get('', cb))).toBeNull();
    // Foresight cannot list sessions through the gateway, so the optional methods are absent (express-session does not need them).
    expect([typeof store.all, typeof store.length, typeof store.clear]).toEqual(['undefined', 'undefined', 'undefined']);
  });

  it('a store that cannot reach the cluster fails the request with 500 through express, without crashing', async () => {
    const dead = new ForesightClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', timeoutMs: 500, checkContract: false, agent: false });
    const store = new ForesightStore({ client: dead });
    const a = express();
    a.use(store.prepare(), (await import('express-session')).default({ store, genid: store.genid, secret: SECRET, resave: false, saveUninitialized: false }));
    a.get('/', (_req, res) => res.json({ ok: true }));
    a.use((error: Error, _req: Request, res: Response, _next: NextFunction) => res.status(500).json({ error: error.name }));
    const server = a.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    const b = browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    b.cookie = `connect.sid=${encodeURIComponent(`s:${sign('A'.repeat(32), SECRET)}`)}`;
    expect(await b.request('/')).toMatchObject({ status: 500 });
    b.cookie = undefined;
    expect(await b.request('/')).toMatchObject({ status: 500 });
  });

  it('the example shop: product pages come through getWithPrediction, the session through the store', async () => {
    const shop = await createShopApp({ kind: 'foresight', foresight: client, secret: SECRET, originUrl: stack.originUrl });
    const server = shop.app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    const b = browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const account = await b.request('/account');
    const id = String(account.body.sessionId);
    const page = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/products/42`, {
      headers: { cookie: b.cookie!, accept: 'application/json' },
    });
    const body = (await page.json()) as { product: { source: string; value: { key: string } }; reviews: { source: string } };
    expect(body.product.value.key).toBe('product:42');
    expect(['cache', 'prefetched', 'inflight', 'origin']).toContain(body.product.source);
    expect((await b.request('/cart/A-7', 'POST')).body.cart).toEqual([{ sku: 'A-7', qty: 1 }]);
    const view = await client.getSession(id);
    expect(view.groups.cart).toEqual({ cart: [{ sku: 'A-7', qty: 1 }] });
    expect(view.groups.app).toMatchObject({ views: 1, lastProduct: '42' });
    expect((await client.sessionCacheStats(id)).historyLength).toBeGreaterThanOrEqual(1);
    await shop.close();
  });
});

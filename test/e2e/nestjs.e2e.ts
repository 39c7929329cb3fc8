import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Param, Post, UseInterceptors, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ForesightClient } from '@foresight/client';
import { ForesightActionInterceptor, ForesightModule, ForesightSession, RecordAction, SessionGroups, type LoadedSession } from '@foresight/nestjs';
import { eventually } from '@foresight/testing';
import type { LocalStack } from '../../scripts/local-stack';
import { startTestStack } from './support';

/** A service of the app that uses the injected client. */
@Injectable()
class Carts {
  constructor(readonly foresight: ForesightClient) {}
}

@Controller('shop')
@UseInterceptors(ForesightActionInterceptor)
class ShopController {
  constructor(private readonly carts: Carts) {}

  @Get('cart')
  cart(@ForesightSession({ groups: ['cart'] }) session: LoadedSession) {
    return { groups: Object.keys(session.view.groups).sort(), cart: session.view.groups.cart ?? {} };
  }

  @Get('profile')
  @SessionGroups('profile')
  profile(@ForesightSession() session: LoadedSession) {
    return { groups: Object.keys(session.view.groups).sort() };
  }

  @Get('maybe')
  maybe(@ForesightSession({ optional: true }) session: LoadedSession | undefined) {
    return { signedIn: session !== undefined };
  }

  @Get('products/:id')
  @RecordAction('view_product:{id}')
  async product(@Param('id') id: string, @ForesightSession({ groups: ['app'] }) session: LoadedSession) {
    return { id, data: (await session.client.getWithPrediction(`product:${id}`)).value };
  }

  @Post('cart/:sku')
  @RecordAction('add_to_cart:{sku}')
  async add(@Param('sku') sku: string, @ForesightSession({ groups: ['cart'] }) session: LoadedSession) {
    const items = [...((session.view.groups.cart?.items as string[] | undefined) ?? []), sku];
    await this.carts.foresight.setVariable(session.id, 'cart', 'items', items, { expectedVersion: session.view.version });
    return { items };
  }
}

/** `ForesightModule` in a Nest app (Fastify) against the real stack. */
describe('@foresight/nestjs (gateway, metadata, shard, origin as processes)', () => {
  let stack: LocalStack;
  let app: INestApplication;
  let base: string;
  let admin: ForesightClient;

  beforeAll(async () => {
    stack = await startTestStack('nestjs', { shardNodes: 1, originExample: {} });
    const gatewayUrl = stack.gatewayUrl;
    const apiKey = stack.apiKey;

    @Module({
      imports: [ForesightModule.forRootAsync({ useFactory: async () => ({ baseUrl: gatewayUrl, apiKey, awaitActions: true, agent: false }) })],
      controllers: [ShopController],
      providers: [Carts],
    })
    class AppModule {}

    app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    admin = new ForesightClient({ baseUrl: gatewayUrl, apiKey, agent: false });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    admin?.close();
    await stack?.stop();
  }, 60_000);

  const call = async (path: string, sessionId?: string, method = 'GET') => {
    const r = await fetch(`${base}${path}`, { method, headers: sessionId ? { 'x-foresight-session': sessionId } : {} });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it('loads the session with only the groups the handler declares', async () => {
    const { id } = await admin.createSession({ data: { cart: { items: ['A'] }, profile: { name: 'ada' }, auth: { role: 'x' } } });
    expect(await call('/shop/cart', id)).toEqual({ status: 200, body: { groups: ['cart'], cart: { items: ['A'] } } });
    expect((await call('/shop/profile', id)).body).toEqual({ groups: ['profile'] });
  });

  it('answers 404 SESSION.NOT_FOUND without a (live) session, or gives undefined when optional', async () => {
    expect(await call('/shop/cart')).toMatchObject({ status: 404, body: { error: { code: 'SESSION.NOT_FOUND' } } });
    expect(await call('/shop/cart', 'A'.repeat(32))).toMatchObject({ status: 404, body: { error: { code: 'SESSION.NOT_FOUND' } } });
    expect((await call('/shop/maybe')).body).toEqual({ signedIn: false });
    const { id } = await admin.createSession({});
    await admin.endSession(id);
    expect((await call('/shop/maybe', id)).body).toEqual({ signedIn: false });
  });

  it('records the action of each handler for prediction, and the injected client writes', async () => {
    const { id } = await admin.createSession({});
    expect((await call('/shop/products/42', id)).body).toMatchObject({ id: '42', data: { key: 'product:42' } });
    expect(await call('/shop/cart/A-1', id, 'POST')).toMatchObject({ status: 201, body: { items: ['A-1'] } });
    const stats = await eventually(
      async () => {
        const s = await admin.sessionCacheStats(id);
        return s.historyLength >= 2 ? s : undefined;
      },
      5000,
      'two actions recorded',
    );
    expect(stats.historyLength).toBe(2);
    expect((await admin.getSession(id, { groups: ['cart'] })).groups.cart).toEqual({ items: ['A-1'] });
  });

  it('forRoot gives the same module synchronously', async () => {
    @Module({ imports: [ForesightModule.forRoot({ baseUrl: stack.gatewayUrl, apiKey: stack.apiKey, agent: false })] })
    class Plain {}
    const ctx = await NestFactory.createApplicationContext(Plain, { logger: false });
    try {
      const client = ctx.get(ForesightClient);
      await expect(client.contract()).resolves.toMatchObject({ api: 'v1' });
    } finally {
      await ctx.close();
    }
  });
});

/*
 * The example shop as a process: SESSION_STORE=foresight (default) | redis | postgres.
 *   FORESIGHT_URL, FORESIGHT_API_KEY   the gateway and a back end's API key (foresight)
 *   REDIS_URL / DATABASE_URL           the other stores' servers
 *   ORIGIN_URL                         product data for the non-Foresight stores
 *   PORT (3080), SESSION_SECRET
 */
import { ForesightClient } from '@foresight/client';
import { createShopApp } from './app.js';
import type { StoreKind } from './stores.js';

async function main(): Promise<void> {
  const env = process.env;
  const kind = (env.SESSION_STORE ?? 'foresight') as StoreKind;
  if (!['foresight', 'redis', 'postgres'].includes(kind)) throw new Error(`SESSION_STORE must be foresight, redis or postgres, not ${kind}`);
  const foresight =
    kind === 'foresight'
      ? new ForesightClient({ baseUrl: env.FORESIGHT_URL ?? 'http://127.0.0.1:3000', apiKey: env.FORESIGHT_API_KEY ?? 'dev-key' })
      : undefined;
  const shop = await createShopApp({
    kind,
    foresight,
    secret: env.SESSION_SECRET ?? 'example-shop-secret',
    redisUrl: env.REDIS_URL,
    databaseUrl: env.DATABASE_URL,
    originUrl: env.ORIGIN_URL,
  });
  const port = Number(env.PORT ?? 3080);
  const server = shop.app.listen(port, env.HOST ?? '127.0.0.1', () =>
    process.stdout.write(`express-shop (${kind} sessions) at http://${env.HOST ?? '127.0.0.1'}:${port}\n`),
  );
  const stop = () => {
    server.close();
    foresight?.close();
    void shop.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`express-shop failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

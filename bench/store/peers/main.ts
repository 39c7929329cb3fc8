/*
 * Child-process entry of one peer server, started by the store benchmark so that the server and
 * the load generator never share an event loop:
 *
 *   node dist/bench/store/peers/main.js --kind redis|postgres --port <p> --url <store url> --api-key <k>
 *       [--ttl <s>] [--pg-pool <n>]      (options: peers/cli.ts, or --help)
 *
 * Tells its parent {type: 'ready', port} over IPC once it listens; closes cleanly on SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { systemClock } from '@foresight/time';
import { buildPeerApp } from './app';
import type { BlobStore } from './blob-store';
import { peerCli } from './cli';
import { PgBlobStore } from './pg-store';
import { RedisBlobStore } from './redis-store';

async function main(): Promise<void> {
  const { kind, port, url, apiKey, ttl, pgPool } = peerCli.parseOrExit(process.argv.slice(2));
  const store: BlobStore = kind === 'redis' ? new RedisBlobStore(url) : new PgBlobStore(url, pgPool);
  const app = buildPeerApp({
    store,
    apiKey,
    ttlS: ttl,
    clock: systemClock,
    // express-session's default id: uid-safe(24), i.e. 24 random bytes in base64url.
    newId: () => randomBytes(24).toString('base64url'),
  });
  await app.listen({ host: '127.0.0.1', port });
  process.send?.({ type: 'ready', port });

  const shutdown = (): void => {
    void app
      .close()
      .then(() => store.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  // The parent going away must not leave an orphan server behind.
  process.once('disconnect', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`[peer] ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../../scripts/infra/nats-server';
import { startEmbeddedPostgres } from '../../scripts/infra/postgres';

/**
 * Starts one real nats-server (JetStream) and one real Postgres for the whole test run.
 * Suites isolate themselves with a fresh database and a random subject namespace each.
 */
export default async function globalSetup(): Promise<void> {
  const nats = await startNatsServer();
  const pg = await startEmbeddedPostgres({ dataDir: join(mkdtempSync(join(tmpdir(), 'foresight-pg-')), 'data'), quiet: true }).catch(async (error: unknown) => {
    await nats.stop();
    throw error;
  });
  process.env.TEST_NATS_URL = nats.url;
  process.env.TEST_PG_ADMIN_URL = pg.adminUrl;
  (globalThis as Record<string, unknown>).__foresightInfra = { nats, pg };
}

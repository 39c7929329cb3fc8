import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { runMigrations } from '@foresight/persistence';

export * from './garbage';

/** Infrastructure started once per test run by test/setup/global-setup.ts. */
export function testInfra(): { natsUrl: string; pgAdminUrl: string } {
  const natsUrl = process.env.TEST_NATS_URL;
  const pgAdminUrl = process.env.TEST_PG_ADMIN_URL;
  if (!natsUrl || !pgAdminUrl) throw new Error('TEST_NATS_URL / TEST_PG_ADMIN_URL are not set: run through jest with the global setup');
  return { natsUrl, pgAdminUrl };
}

/** A random lowercase suffix for database names, subject namespaces and stream names. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A fresh database with every migration applied; one per suite. */
export async function createTestDatabase(prefix = 'test'): Promise<string> {
  const { pgAdminUrl } = testInfra();
  const name = uniqueName(prefix);
  const admin = new Client({ connectionString: pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = pgAdminUrl.replace(/\/postgres$/, `/${name}`);
  await runMigrations(url);
  return url;
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

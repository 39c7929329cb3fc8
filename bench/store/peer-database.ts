import { Client } from 'pg';
import { resetSessionTable } from './peers/pg-store';

/** Where the Postgres peer keeps its table, and the server's durability settings. */
export interface PeerDatabase {
  readonly url: string;
  /** `database bench_peer` or `schema bench_peer` (when the role may not create databases). */
  readonly location: string;
  readonly settings: Readonly<Record<string, string>>;
  drop(): Promise<void>;
}

const NAME = 'bench_peer';
const SETTINGS = ['server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'commit_delay'];

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Prepares the Postgres peer on the given server (the one Foresight uses, so that both pay the same
 * fsync): database `bench_peer` if the role may create it, else schema `bench_peer`; then an empty
 * connect-pg-simple `session` table.
 */
export async function preparePeerDatabase(serverUrl: string): Promise<PeerDatabase> {
  const settings: Record<string, string> = {};
  let location = `database ${NAME}`;
  const created = await withClient(serverUrl, async (c) => {
    for (const s of SETTINGS) settings[s] = String((await c.query(`SHOW ${s}`)).rows[0]?.[s]);
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [NAME]);
    if ((exists.rowCount ?? 0) > 0) return true;
    try {
      await c.query(`CREATE DATABASE ${NAME}`);
      return true;
    } catch {
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${NAME}`);
      return false;
    }
  });
  const parsed = new URL(serverUrl);
  if (created) {
    parsed.pathname = `/${NAME}`;
  } else {
    location = `schema ${NAME}`;
    parsed.searchParams.set('options', `-c search_path=${NAME}`);
  }
  const url = parsed.toString();
  await withClient(url, (c) => resetSessionTable(c));
  return {
    url,
    location,
    settings,
    drop: () => withClient(url, async (c) => void (await c.query('DROP TABLE IF EXISTS "session"'))),
  };
}

import { Pool, type PoolClient } from 'pg';
import { systemClock, type Clock } from '@foresight/time';
import type { BlobStore } from './blob-store';
import type { SessionBlob } from './session-blob';

/** The table of `connect-pg-simple` (its `table.sql`), including its index on `expire`. */
const SESSION_TABLE_DDL = [
  'DROP TABLE IF EXISTS "session"',
  `CREATE TABLE "session" (
     "sid" varchar NOT NULL COLLATE "default",
     "sess" json NOT NULL,
     "expire" timestamp(6) NOT NULL,
     CONSTRAINT "session_pkey" PRIMARY KEY ("sid") NOT DEFERRABLE INITIALLY IMMEDIATE
   ) WITH (OIDS=FALSE)`,
  'CREATE INDEX "IDX_session_expire" ON "session" ("expire")',
] as const;

/** Creates an empty session table (drops a previous run's). */
export async function resetSessionTable(client: Pick<PoolClient, 'query'>): Promise<void> {
  for (const sql of SESSION_TABLE_DDL) await client.query(sql);
}

/**
 * `connect-pg-simple`-style store: one row per session holding the whole JSON blob. The queries
 * are the ones connect-pg-simple sends for `get` and `set`; each `set` is its own transaction
 * (autocommit), durable at commit with the server's default `synchronous_commit = on`.
 */
export class PgBlobStore implements BlobStore {
  private readonly pool: Pool;

  constructor(
    connectionString: string,
    poolSize: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.pool = new Pool({ connectionString, max: poolSize });
  }

  async get(sid: string): Promise<SessionBlob | undefined> {
    const res = await this.pool.query<{ sess: SessionBlob }>('SELECT sess FROM "session" WHERE sid = $1 AND expire >= to_timestamp($2)', [
      sid,
      Math.floor(this.clock.now() / 1000),
    ]);
    return res.rows[0]?.sess;
  }

  async set(sid: string, blob: SessionBlob, ttlS: number): Promise<void> {
    const expire = Math.floor(this.clock.now() / 1000) + ttlS;
    await this.pool.query(
      'INSERT INTO "session" (sess, expire, sid) SELECT $1, to_timestamp($2), $3 ' +
        'ON CONFLICT (sid) DO UPDATE SET "sess"=$1, "expire"=to_timestamp($2) RETURNING sid',
      [JSON.stringify(blob), expire, sid],
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

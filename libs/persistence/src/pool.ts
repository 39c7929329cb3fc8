import { Pool, types } from 'pg';
import { pgSsl, type PgSslSettings } from './ssl';

// bigint columns (positions, epochs) fit in a double for any realistic lifetime; parse them as numbers.
types.setTypeParser(20, (v) => Number(v));

/** A pg pool for the hot paths (event appends, ownership checks), beside TypeORM's. */
export function createPool(url: string, size: number, applicationName: string, ssl?: PgSslSettings): Pool {
  const pool = new Pool({ connectionString: url, max: size, application_name: applicationName, idleTimeoutMillis: 30_000, ssl: pgSsl(ssl) });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

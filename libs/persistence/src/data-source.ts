import { DataSource } from 'typeorm';
import { migrations } from '../../../migrations';
import { AdvisoryLocks } from './advisory-locks';
import { pgSsl, type PgSslSettings } from './ssl';

/** The TypeORM data source the migrations run on: schema changes go through migrations only. */
function createDataSource(url: string, poolSize = 10, ssl?: PgSslSettings): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    ssl: pgSsl(ssl),
    synchronize: false,
    migrationsRun: false,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    extra: { max: poolSize, application_name: 'foresight' },
    logging: ['error'],
  });
}

/** Applies pending migrations under an advisory lock, so concurrent starters do not race. */
export async function runMigrations(url: string, ssl?: PgSslSettings): Promise<string[]> {
  const ds = createDataSource(url, 2, ssl);
  await ds.initialize();
  const lock = ds.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [AdvisoryLocks.migrations]);
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [AdvisoryLocks.migrations]);
    }
  } finally {
    await lock.release();
    await ds.destroy();
  }
}

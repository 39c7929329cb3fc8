import { loadConfigOrExit } from '@foresight/platform';
import { runMigrations } from '@foresight/persistence';

/**
 * `node dist/scripts/migrate.js`: applies pending migrations to DATABASE_URL and to every other
 * Postgres server of EVENT_STORE_PARTITIONS (one schema everywhere; compose's one-shot `migrate`).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit('migrate');
  const urls = [...new Set([config.database.url, ...config.database.partitions.map((p) => p.url)])];
  for (const [i, url] of urls.entries()) {
    const applied = await runMigrations(url, config.database.ssl);
    const where = i === 0 ? 'primary' : `partition server ${i}`;
    process.stdout.write(applied.length > 0 ? `${where}: applied ${applied.join(', ')}\n` : `${where}: schema is up to date\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migration failed: ${(error as Error).message}\n`);
  process.exit(1);
});

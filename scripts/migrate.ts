import { loadConfigOrExit } from '@foresight/platform';
import { runMigrations } from '@foresight/persistence';

/** `node dist/scripts/migrate.js`: applies pending migrations to DATABASE_URL (compose's one-shot `migrate`). */
async function main(): Promise<void> {
  const config = loadConfigOrExit('migrate');
  const applied = await runMigrations(config.database.url, config.database.ssl);
  process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`migration failed: ${(error as Error).message}\n`);
  process.exit(1);
});

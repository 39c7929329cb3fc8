import { Client } from 'pg';

/** Commit and WAL flush counters of the event store's database, to turn into writes per commit. */
export interface PgCounters {
  /** Committed transactions of the database (pg_stat_database.xact_commit). */
  readonly commits: number;
  /** WAL flushes to disk of the whole server (pg_stat_wal.wal_sync, Postgres 14+); undefined before 14. */
  readonly walSyncs?: number;
}

/** Reads the counters; undefined when Postgres cannot be asked (the run goes on without them). */
export async function readPgCounters(databaseUrl: string): Promise<PgCounters | undefined> {
  const client = new Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    // The statistics collector's snapshot is per transaction; a fresh one each call.
    await client.query('SELECT pg_stat_clear_snapshot()');
    const commits = await client.query<{ n: string }>('SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()');
    let walSyncs: number | undefined;
    try {
      walSyncs = Number((await client.query<{ n: string }>('SELECT wal_sync::text AS n FROM pg_stat_wal')).rows[0]?.n);
    } catch {
      walSyncs = undefined; // before Postgres 14
    }
    return { commits: Number(commits.rows[0]?.n ?? 0), walSyncs };
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Writes per commit and per WAL flush over a window (the counters include background work, so these are lower bounds). */
export function groupCommitFigures(
  before: PgCounters | undefined,
  after: PgCounters | undefined,
  writes: number,
): { commits: number; walSyncs?: number; writesPerCommit: number; writesPerWalSync?: number } | undefined {
  if (before === undefined || after === undefined) return undefined;
  const commits = after.commits - before.commits;
  const walSyncs = before.walSyncs === undefined || after.walSyncs === undefined ? undefined : after.walSyncs - before.walSyncs;
  return {
    commits,
    walSyncs,
    writesPerCommit: commits > 0 ? writes / commits : 0,
    writesPerWalSync: walSyncs === undefined ? undefined : walSyncs > 0 ? writes / walSyncs : 0,
  };
}

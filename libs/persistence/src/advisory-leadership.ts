import { Client } from 'pg';
import { AdvisoryLocks, type AdvisoryLockName } from './advisory-locks';
import { pgSsl, type PgSslSettings } from './ssl';

export interface AdvisoryLeadershipOptions {
  readonly databaseUrl: string;
  /** SSL to Postgres, as for the pool. */
  readonly ssl?: PgSslSettings;
  /** Which lock of {@link AdvisoryLocks} decides the leader. */
  readonly lock: AdvisoryLockName;
  /** Shown in `pg_stat_activity` for the lock's connection (default `foresight-<lock>`). */
  readonly applicationName?: string;
}

/**
 * Leadership among instances of a service: a session-level Postgres advisory lock held on a
 * dedicated connection (never a pooled one, which would carry the lock to whoever borrows it next).
 * Postgres drops the lock when that connection ends, so an instance that loses the connection has
 * lost leadership: it steps down at once and another instance's next {@link tryAcquire} wins.
 * Listeners registered with {@link onChange} hear every change, including {@link release}.
 */
export class AdvisoryLeadership {
  private client: Client | null = null;
  private acquiring: Promise<boolean> | null = null;
  private stopped = false;
  private readonly listeners = new Set<(leader: boolean) => void>();

  constructor(private readonly options: AdvisoryLeadershipOptions) {}

  get isLeader(): boolean {
    return this.client !== null;
  }

  /** Calls `listener` with `true` on becoming leader and `false` on losing or giving it up; returns an unsubscribe. */
  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Becomes leader if no one is (true at once while leading); false when another instance leads or after {@link stop}. */
  tryAcquire(): Promise<boolean> {
    if (this.client) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    this.acquiring ??= this.acquire().finally(() => (this.acquiring = null));
    return this.acquiring;
  }

  /** Gives leadership up (closing the connection releases the lock); a later {@link tryAcquire} may take it again. */
  async release(): Promise<void> {
    await this.acquiring?.catch(() => undefined);
    const client = this.client;
    if (!client) return;
    this.client = null;
    this.emit(false);
    await client.end().catch(() => undefined);
  }

  /** Releases leadership for good: {@link tryAcquire} answers false from now on. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.release();
  }

  /**
   * Runs `work` as leader and gives leadership up afterwards; resolves `undefined` without running
   * it when another instance leads. For one-off jobs (a retraining round) rather than a standing role.
   */
  async runExclusive<T>(work: () => Promise<T>): Promise<T | undefined> {
    if (!(await this.tryAcquire())) return undefined;
    try {
      return await work();
    } finally {
      await this.release();
    }
  }

  private async acquire(): Promise<boolean> {
    const { databaseUrl, lock, applicationName, ssl } = this.options;
    // Keep-alive: a peer that vanished without closing the socket is noticed, not trusted for ever.
    const client = new Client({
      connectionString: databaseUrl,
      application_name: applicationName ?? `foresight-${lock}`,
      keepAlive: true,
      ssl: pgSsl(ssl),
    });
    // A dropped connection is reported here as well as by 'end'; either way the lock is gone.
    client.on('error', () => this.lost(client));
    try {
      await client.connect();
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [AdvisoryLocks[lock]]);
      if (!r.rows[0]?.ok || this.stopped) {
        await client.end();
        return false;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.on('end', () => this.lost(client));
    this.client = client;
    this.emit(true);
    return true;
  }

  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.emit(false);
  }

  private emit(leader: boolean): void {
    for (const listener of this.listeners) {
      try {
        listener(leader);
      } catch {
        /* a listener's bug must not decide leadership */
      }
    }
  }
}

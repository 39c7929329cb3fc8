import { Client } from 'pg';

/**
 * Leadership among token service instances: a Postgres advisory lock held on a dedicated
 * connection. Losing the connection loses the lock, and the instance steps down at once.
 */
export class AdvisoryLeader {
  private client: Client | null = null;

  constructor(
    private readonly databaseUrl: string,
    private readonly lockKey: number,
    private readonly onChange: (leader: boolean) => void = () => undefined,
  ) {}

  get isLeader(): boolean {
    return this.client !== null;
  }

  /** Tries to become (or stay) the leader. */
  async tryLead(): Promise<boolean> {
    if (this.client) return true;
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'foresight-token-leader' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [this.lockKey]);
      if (!r.rows[0]?.ok) {
        await client.end();
        return false;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.on('end', () => {
      if (this.client === client) {
        this.client = null;
        this.onChange(false);
      }
    });
    this.client = client;
    this.onChange(true);
    return true;
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}

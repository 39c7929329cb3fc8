import { AdvisoryLeadership, AdvisoryLocks } from '@foresight/persistence';
import { createTestDatabase, eventually } from '@foresight/testing';
import { Client } from 'pg';

/** Leadership by a Postgres advisory lock, against a real Postgres: one wins, the other takes over when it goes. */
describe('AdvisoryLeadership against a real Postgres', () => {
  let url: string;
  let admin: Client;
  const contenders: AdvisoryLeadership[] = [];

  const contender = (name: string) => {
    const leadership = new AdvisoryLeadership({ databaseUrl: url, lock: 'metadataRebalancer', applicationName: name });
    const changes: boolean[] = [];
    leadership.onChange((leader) => changes.push(leader));
    contenders.push(leadership);
    return { leadership, changes };
  };

  /** Backend pids holding the lock (Postgres keys a bigint advisory lock by its two 32-bit halves). */
  const holders = async (): Promise<{ pid: number; app: string }[]> => {
    const r = await admin.query<{ pid: number; app: string }>(
      `SELECT l.pid, a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [AdvisoryLocks.metadataRebalancer],
    );
    return r.rows;
  };

  beforeAll(async () => {
    url = await createTestDatabase('leader');
    admin = new Client({ connectionString: url });
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(contenders.map((c) => c.stop()));
    await admin.end();
  });

  it('lets one of two contenders lead, and the other take over when the leader’s connection dies', async () => {
    const a = contender('leader-test-a');
    const b = contender('leader-test-b');
    const [wonA, wonB] = await Promise.all([a.leadership.tryAcquire(), b.leadership.tryAcquire()]);
    expect([wonA, wonB].filter(Boolean)).toHaveLength(1);
    const [winner, loser] = wonA ? [a, b] : [b, a];
    const winnerApp = wonA ? 'leader-test-a' : 'leader-test-b';
    expect(winner.leadership.isLeader).toBe(true);
    expect(loser.leadership.isLeader).toBe(false);
    expect(winner.changes).toEqual([true]);
    expect(await holders()).toEqual([expect.objectContaining({ app: winnerApp })]);
    // Asking again changes nothing: the leader keeps leading, the other keeps waiting.
    expect(await winner.leadership.tryAcquire()).toBe(true);
    expect(await loser.leadership.tryAcquire()).toBe(false);

    // The leader's connection dies (Postgres restarts it, a network cut, an operator): the lock goes with it.
    const [{ pid }] = await holders();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await eventually(() => (winner.leadership.isLeader ? undefined : true), 10_000, 'the old leader to step down');
    expect(winner.changes).toEqual([true, false]);
    await eventually(async () => ((await loser.leadership.tryAcquire()) ? true : undefined), 10_000, 'the other contender to take over');
    expect(loser.changes).toEqual([true]);
    expect(await winner.leadership.tryAcquire()).toBe(false);

    // Stopping gives leadership up at once and for good.
    await loser.leadership.stop();
    expect(loser.changes).toEqual([true, false]);
    expect(await holders()).toEqual([]);
    expect(await winner.leadership.tryAcquire()).toBe(true);
    expect(await loser.leadership.tryAcquire()).toBe(false);
    await winner.leadership.release();
  });

  it('runs an exclusive job only when no one else leads, and gives the lock back afterwards', async () => {
    const holder = contender('leader-test-holder');
    const job = contender('leader-test-job');
    expect(await holder.leadership.tryAcquire()).toBe(true);
    let ran = 0;
    expect(await job.leadership.runExclusive(async () => ++ran)).toBeUndefined();
    expect(ran).toBe(0);

    await holder.leadership.release();
    expect(
      await job.leadership.runExclusive(async () => {
        expect(await holders()).toEqual([expect.objectContaining({ app: 'leader-test-job' })]);
        return ++ran;
      }),
    ).toBe(1);
    expect(job.leadership.isLeader).toBe(false);
    expect(job.changes).toEqual([true, false]);
    expect(await holders()).toEqual([]);
  });
});

import { Client } from 'pg';
import { eventually } from '@foresight/testing';
import type { LocalStack } from '../../scripts/local-stack';
import { api, startTestStack } from './support';

/**
 * Shard handoff with real processes: a node that gains a shard from a live node serves it only
 * once that node has released it (or its lease has run out), so two nodes never serve one shard.
 */
describe('shard handoff: the new owner waits for the old one', () => {
  let stack: LocalStack;
  let client: ReturnType<typeof api>;
  let db: Client;

  beforeAll(async () => {
    // A long lease, so the frozen node below stays live (and a possible server) for a while; no
    // failure detector, which would declare it dead within a second (its own test is elsewhere).
    stack = await startTestStack('handoff', { shardNodes: 1, env: { LEASE_MS: '8000', FAILURE_PROBE_MS: '0' } });
    client = api(stack);
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  }, 60_000);

  it("holds a shard taken from a frozen (still leased) node until that node's lease has run out, then serves it", async () => {
    const sessions = await Promise.all(Array.from({ length: 48 }, async () => (await client.create({ data: { cart: { n: 0 } } })).body.id as string));
    const pid = stack.services.get('shard-1')!.child.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      // Let a heartbeat already in flight land, then read the lease the frozen node cannot renew.
      await new Promise((r) => setTimeout(r, 500));
      const lease = await db.query<{ until: Date }>(`SELECT lease_expires_at AS until FROM nodes WHERE node_id = 'shard-1'`);
      const frozenUntil = lease.rows[0]!.until.getTime();

      await stack.startService('shard', 'shard-2');
      await stack.waitForAssignment(['shard-1', 'shard-2']);
      const owners = await Promise.all(sessions.map((id) => client.call<{ nodeId: string }>('GET', `/v1/sessions/${id}/owner`)));
      const moved = sessions.filter((_, i) => owners[i]!.body.nodeId === 'shard-2').slice(0, 8);
      expect(moved.length).toBeGreaterThan(0);

      // The precondition of the test: the writes are sent while the frozen node still holds its lease.
      const sentAt = Date.now();
      expect(sentAt).toBeLessThan(frozenUntil);
      const writes = await Promise.all(moved.map((id) => client.put(id, 'cart', 'n', 1)));
      expect(writes.map((w) => w.status)).toEqual(moved.map(() => 200));

      // The new owner committed none of them before the frozen node's lease ran out.
      const first = await db.query<{ at: Date }>(`SELECT min(occurred_at) AS at FROM events WHERE session_id = ANY($1) AND type = 'session.variable_set'`, [
        moved,
      ]);
      expect(first.rows[0]!.at.getTime()).toBeGreaterThanOrEqual(frozenUntil);
      // The wait shows in the new owner's metrics: requests were held (and retried by the gateway).
      const metrics = await (await fetch(`${stack.services.get('shard-2')!.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/foresight_handoff_waits_total\{outcome="timeout"[^}]*\} [1-9]/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }

    // The old node wakes up, learns it was declared dead, registers again and takes shards back
    // (a handoff from a live node now, released at once); every session reads its last write.
    await stack.waitForAssignment(['shard-1', 'shard-2']);
    await eventually(
      async () => {
        const reads = await Promise.all(sessions.map((id) => client.get(id, 'cart')));
        return reads.every((r) => r.status === 200) ? true : undefined;
      },
      20_000,
      'every session readable after the old node returns',
    );
    const values = await Promise.all(sessions.map(async (id) => ((await client.get(id, 'cart')).body.groups as { cart: { n: number } }).cart.n));
    const owners = await Promise.all(sessions.map(async (id) => (await client.call<{ nodeId: string }>('GET', `/v1/sessions/${id}/owner`)).body.nodeId));
    expect(new Set(owners)).toEqual(new Set(['shard-1', 'shard-2']));
    expect(values.filter((n) => n === 1).length).toBeGreaterThan(0);
  }, 120_000);

  it('a session taken over by another node keeps its prediction history (restored from its recorded actions)', async () => {
    const id = (await client.create({})).body.id as string;
    for (const action of ['home', 'search', 'view:7']) {
      expect((await client.call('POST', `/v1/sessions/${id}/actions`, { action })).status).toBe(201);
    }
    const before = await client.call<{ nodeId: string; historyLength: number }>('GET', `/v1/sessions/${id}/cache-stats`);
    expect(before.body.historyLength).toBe(3);
    const owner = before.body.nodeId;
    const other = owner === 'shard-1' ? 'shard-2' : 'shard-1';
    await stack.kill(owner, 'SIGTERM'); // leaves the cluster: its shards move at once
    await stack.waitForAssignment([other], { exact: true });
    const after = await client.call<{ nodeId: string; historyLength: number }>('GET', `/v1/sessions/${id}/cache-stats`);
    expect(after.body).toMatchObject({ nodeId: other, historyLength: 3 });
    expect((await client.call('POST', `/v1/sessions/${id}/actions`, { action: 'view:8' })).status).toBe(201);
    expect((await client.call<{ historyLength: number }>('GET', `/v1/sessions/${id}/cache-stats`)).body.historyLength).toBe(4);
  }, 60_000);
});

import type { LocalStack } from '../../scripts/local-stack';
import { metricSum } from '../../bench/prometheus-text';
import { type Ack, lostWrites, writer } from './acknowledged-writes';
import { api, startTestStack } from './support';

const BIG = 'x'.repeat(20_000);

/**
 * Moving sessions with their shard, with real processes: scale out and in under writers, a node that
 * refuses every push, and an old owner killed while its shards move. Every acknowledged write must be
 * there afterwards, and clients see no error.
 */
describe('state transfer with real processes', () => {
  let stack: LocalStack;
  let client: ReturnType<typeof api>;
  let sessions: string[] = [];

  const lost = (acked: readonly Ack[]) => lostWrites(client, acked, 'profile');
  const metric = async (node: string, name: string, label = '') =>
    metricSum(await (await fetch(`${stack.services.get(node)!.httpUrl}/metrics`)).text(), name, label);

  const survivorsReceived = async () =>
    (await metric('shard-1', 'foresight_transfer_sessions_total', 'side="received",outcome="accepted"')) +
    (await metric('shard-2', 'foresight_transfer_sessions_total', 'side="received",outcome="accepted"'));

  beforeAll(async () => {
    stack = await startTestStack('transfer', { shardNodes: 2, env: { REPLICATION: 'off', LEASE_MS: '3000' } });
    client = api(stack);
    sessions = await Promise.all(
      Array.from({ length: 60 }, async () => (await client.create({ data: { auth: { token: 't' }, cart: { items: BIG }, profile: { name: 'n' } } })).body.id),
    );
    // Use them (auth and profile), so the old owners hold them and have a profile.
    for (const id of sessions) await client.get(id, 'auth,profile');
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('scales out 2 → 3 and in 3 → 2 under writers: sessions pushed, nothing lost, no client error', async () => {
    const w = writer(client, sessions.slice(0, 10), 'profile');
    await stack.startService('shard', 'shard-3');
    await stack.waitForAssignment(['shard-1', 'shard-2', 'shard-3']);
    await new Promise((r) => setTimeout(r, 1000));
    const accepted =
      (await metric('shard-1', 'foresight_transfer_sessions_total', 'outcome="accepted"')) +
      (await metric('shard-2', 'foresight_transfer_sessions_total', 'outcome="accepted"'));
    expect(accepted).toBeGreaterThan(0);
    // Every session used on 3 nodes, so the third holds its share in memory when it leaves.
    for (const id of sessions) expect((await client.get(id, 'auth,profile')).status).toBe(200);
    const receivedBefore = await survivorsReceived();
    // Leaving on SIGTERM: it hands its shards over while serving, pushing its sessions first.
    await stack.kill('shard-3', 'SIGTERM');
    await stack.waitForAssignment(['shard-1', 'shard-2'], { exact: true });
    await new Promise((r) => setTimeout(r, 1000));
    await w.stop();
    expect((await survivorsReceived()) - receivedBefore).toBeGreaterThan(0);
    expect(w.failures).toEqual([]);
    expect(w.acked.length).toBeGreaterThan(20);
    expect(await lost(w.acked)).toEqual([]);
    for (const id of sessions) expect((await client.get(id, 'cart')).status).toBe(200);
  }, 180_000);

  it('a node that refuses every push serves from Postgres, and an old owner killed mid-move loses nothing', async () => {
    const w = writer(client, sessions.slice(10, 20), 'profile');
    await stack.startService('shard', 'shard-4', { TRANSFER_MAX_INBOX_BYTES: '0' });
    await stack.waitForAssignment(['shard-1', 'shard-2', 'shard-4']);
    // The old owner dies while its shards are still moving: its sessions load from Postgres.
    await stack.startService('shard', 'shard-5');
    await stack.kill('shard-2', 'SIGKILL');
    await stack.waitForAssignment(['shard-1', 'shard-4', 'shard-5'], { exact: true, timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1000));
    await w.stop();
    expect(await metric('shard-4', 'foresight_transfer_refused_total', 'reason="memory_pressure"')).toBeGreaterThan(0);
    expect(w.acked.length).toBeGreaterThan(20);
    expect(await lost(w.acked)).toEqual([]);
    for (const id of sessions) expect((await client.get(id, 'auth')).status).toBe(200);
  }, 240_000);
});

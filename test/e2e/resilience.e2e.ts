import type { LocalStack } from '../../scripts/local-stack';
import { expectAllAcknowledgedWritesPresent, writer } from './acknowledged-writes';
import { api, startTestStack } from './support';

describe('resilience: crashes, restarts, scale-out and failover with real processes', () => {
  let stack: LocalStack;
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    stack = await startTestStack('resilience', { shardNodes: 1 });
    // A second metadata instance: either may answer; only the advisory-lock holder rebalances.
    await stack.startService('metadata', 'metadata-2');
    client = api(stack);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('keeps every acknowledged write when the only shard node is killed with SIGKILL and restarted', async () => {
    const sessions = await Promise.all(Array.from({ length: 8 }, async () => (await client.create({})).body.id));
    const w = writer(client, sessions);
    await new Promise((r) => setTimeout(r, 1500));
    await stack.kill('shard-1', 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await stack.startService('shard', 'shard-1');
    await stack.waitForAssignment(['shard-1'], { exact: true });
    await new Promise((r) => setTimeout(r, 1000));
    await w.stop();
    expect(w.acked.length).toBeGreaterThan(20);
    await expectAllAcknowledgedWritesPresent(client, w.acked);
  }, 120_000);

  it('rebalances onto a second node while serving, and every session stays readable', async () => {
    const sessions = await Promise.all(Array.from({ length: 40 }, async () => (await client.create({ data: { cart: { seed: 1 } } })).body.id));
    const w = writer(client, sessions.slice(0, 8));
    await stack.startService('shard', 'shard-2');
    await stack.waitForAssignment(['shard-1', 'shard-2']);
    await new Promise((r) => setTimeout(r, 1000));
    await w.stop();
    expect(w.failures).toEqual([]);
    await expectAllAcknowledgedWritesPresent(client, w.acked);
    const owners = new Set<string>();
    for (const id of sessions) {
      const r = await client.get(id, 'cart');
      expect(r.status).toBe(200);
      owners.add((r.body.owner as { nodeId: string }).nodeId);
    }
    expect([...owners].sort()).toEqual(['shard-1', 'shard-2']);
  }, 120_000);

  it('fails over to the survivor when a node and the metadata leader are killed at once, with no client-visible error', async () => {
    const sessions = await Promise.all(Array.from({ length: 16 }, async () => (await client.create({})).body.id));
    const w = writer(client, sessions);
    await new Promise((r) => setTimeout(r, 1000));
    const killedAt = Date.now();
    // The first metadata instance took the leader lock at start; metadata-2 must take over rebalancing.
    await Promise.all([stack.kill('shard-2', 'SIGKILL'), stack.kill('metadata', 'SIGKILL')]);
    await stack.waitForAssignment(['shard-1'], { exact: true });
    const takeoverMs = Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 1000));
    await w.stop();
    expect(w.failures).toEqual([]);
    await expectAllAcknowledgedWritesPresent(client, w.acked);
    // Reported, not asserted (timing belongs in benchmarks): the lease is 1.5 s in this suite.
    process.stderr.write(`takeover after SIGKILL: ${takeoverMs} ms\n`);
  }, 120_000);

  it("moves a frozen node's shards to the survivor without a client-visible error, and the node rejoins when it wakes", async () => {
    await stack.startService('shard', 'shard-3');
    await stack.waitForAssignment(['shard-1', 'shard-3'], { exact: true });
    const sessions = await Promise.all(Array.from({ length: 16 }, async () => (await client.create({})).body.id));
    const w = writer(client, sessions);
    await new Promise((r) => setTimeout(r, 500));
    const pid = stack.services.get('shard-3')!.child.pid!;
    const frozenAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    try {
      await stack.waitForAssignment(['shard-1'], { exact: true });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const switchMs = Date.now() - frozenAt;
    // Woken, it hears it was declared dead, drops what it held (its queued writes are refused) and registers again.
    await stack.waitForAssignment(['shard-1', 'shard-3'], { exact: true });
    await new Promise((r) => setTimeout(r, 500));
    await w.stop();
    expect(w.failures).toEqual([]);
    await expectAllAcknowledgedWritesPresent(client, w.acked);
    // The failure detector moved the shards, not the end of the lease: the frozen node was silent
    // (on a loaded machine its probes may be answered "no responders" first; either is the detector).
    const metrics = await (await fetch(`${stack.services.get('metadata-2')!.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/foresight_nodes_declared_dead_total\{signal="(silent|no_responders)"[^}]*\} [1-9]/);
    process.stderr.write(`switch after SIGSTOP: ${switchMs} ms\n`);
  }, 120_000);
});

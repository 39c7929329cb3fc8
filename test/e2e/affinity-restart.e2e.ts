import { Client } from 'pg';
import { affinitySubjects, type AffinityEvent } from '@foresight/contracts';
import { tryDecode } from '@foresight/messaging';
import { eventually } from '@foresight/testing';
import type { NatsConnection } from 'nats';
import type { LocalStack } from '../../scripts/local-stack';
import { natsAs, startTestStack } from './support';

const LEASE_MS = 1500;

/** One statement against the stack's database. */
async function query<R extends object>(stack: LocalStack, sql: string, params: unknown[] = []): Promise<R[]> {
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    return (await db.query<R>(sql, params)).rows;
  } finally {
    await db.end();
  }
}

/** The URL of the edge in the session's affinity record, once it has one. */
async function recordedEdge(stack: LocalStack, sessionId: string): Promise<string | undefined> {
  const rows = await query<{ url: string }>(stack, `SELECT e.url FROM session_affinity a JOIN edges e USING (edge_id) WHERE a.session_id = $1`, [sessionId]);
  return rows[0]?.url;
}

/**
 * The affinity service stopped for longer than EDGE_LEASE_MS and started again, with three gateway
 * edges as separate processes (one of them killed meanwhile) and sessions placed by user.
 */
describe('an affinity service restarted after more than the edge lease', () => {
  let stack: LocalStack;
  let nc: NatsConnection;
  const events: AffinityEvent[] = [];
  const json = () => ({ 'x-api-key': stack.apiKey, 'content-type': 'application/json' });

  beforeAll(async () => {
    stack = await startTestStack('affinity_restart', {
      shardNodes: 1,
      extraServices: ['affinity'],
      env: { EDGE_LEASE_MS: String(LEASE_MS), AFFINITY_HASH_BY_USER: 'true' },
    });
    await stack.startService('gateway', 'gateway-2');
    await stack.startService('gateway', 'gateway-3');
    nc = await natsAs(stack, { role: 'gateway' });
    nc.subscribe(affinitySubjects(stack.namespace).affinityEventsWildcard, { callback: (_e, msg) => events.push(tryDecode(msg.data) as AffinityEvent) });
    await eventually(
      async () => {
        const r = await fetch(`${stack.gatewayUrl}/v1/edges`, { headers: json() });
        const view = (await r.json()) as { edges: { healthy: boolean }[] };
        return view.edges.filter((e) => e.healthy).length === 3 ? true : undefined;
      },
      30_000,
      'three edges registered',
    );
  }, 180_000);

  afterAll(async () => {
    await nc?.drain();
    await stack?.stop();
  }, 60_000);

  /** Stops the affinity service until every edge's lease in Postgres has run out. */
  async function stopAffinityPastTheLeases(): Promise<void> {
    await stack.kill('affinity', 'SIGTERM');
    await eventually(
      async () => {
        const rows = await query<{ live: number }>(stack, `SELECT count(*)::int AS live FROM edges WHERE status = 'active' AND lease_expires_at >= now()`);
        return rows[0]!.live === 0 ? true : undefined;
      },
      30_000,
      'every edge lease run out',
    );
  }

  it('declares no heartbeating edge dead, and an edge that is really gone dead after the grace', async () => {
    await stopAffinityPastTheLeases();
    await stack.kill('gateway-3', 'SIGKILL');
    const from = events.length;
    await stack.startService('affinity', 'affinity');
    const deadEvents = () => events.slice(from).filter((e) => e.type === 'affinity.edge_changed' && e.data.status === 'dead');
    await eventually(() => (deadEvents().some((e) => e.data.edgeId === 'gateway-3') ? true : undefined), 30_000, 'gateway-3 declared dead');
    // The live edges kept heartbeating through the restart: never declared dead, healthy now.
    expect(deadEvents().map((e) => e.data.edgeId)).toEqual(['gateway-3']);
    const rows = await query<{ edge_id: string; status: string }>(stack, `SELECT edge_id, status FROM edges ORDER BY edge_id`);
    expect(rows).toEqual([
      { edge_id: 'gateway', status: 'active' },
      { edge_id: 'gateway-2', status: 'active' },
      { edge_id: 'gateway-3', status: 'dead' },
    ]);
  }, 120_000);

  it('places by user a session created while the affinity service was down, when it comes through another edge', async () => {
    const gateway2 = stack.services.get('gateway-2')!.httpUrl;
    const create = async (userId: string) => {
      const r = await fetch(`${stack.gatewayUrl}/v1/sessions`, { method: 'POST', headers: json(), body: JSON.stringify({ userId }) });
      expect(r.status).toBe(201);
      return ((await r.json()) as { id: string }).id;
    };
    // The user's edge, from a session placed normally.
    const first = await create('restart-user');
    const userEdge = await eventually(async () => {
      await fetch(`${stack.gatewayUrl}/v1/sessions/${first}`, { headers: json() });
      return recordedEdge(stack, first);
    }, 20_000);

    await stopAffinityPastTheLeases();
    // Created through the first gateway while it could not reach the affinity service: no record, the user known only there.
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await create('restart-user'));
    await stack.startService('affinity', 'affinity');

    // Read through the second gateway, which never heard of the user: each is placed on the user's edge.
    const urls = await Promise.all(
      ids.map((id) =>
        eventually(async () => {
          await fetch(`${gateway2}/v1/sessions/${id}`, { headers: json() });
          return recordedEdge(stack, id);
        }, 30_000),
      ),
    );
    expect(urls).toEqual(ids.map(() => userEdge));
  }, 120_000);
});

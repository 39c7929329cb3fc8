import { Client } from 'pg';
import { eventually } from '@foresight/testing';
import type { LocalStack } from '../../scripts/local-stack';
import { startTestStack } from './support';

const PREFERRED = 'foresight-preferred-edge';

/** The URL of the session's edge in the affinity service's record (Postgres), once it has one. */
async function recordedEdge(databaseUrl: string, sessionId: string): Promise<string | undefined> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const r = await db.query<{ url: string }>(
      `SELECT e.url FROM session_affinity a JOIN edges e USING (edge_id) WHERE a.session_id = $1 AND e.status = 'active'`,
      [sessionId],
    );
    return r.rows[0]?.url;
  } finally {
    await db.end();
  }
}

/** Two gateway edges and an affinity service that places a user's sessions by the user id, as separate processes. */
describe('edges with AFFINITY_HASH_BY_USER=true (two gateways, affinity service)', () => {
  let stack: LocalStack;
  let edges: string[];

  beforeAll(async () => {
    stack = await startTestStack('edges_by_user', { shardNodes: 1, extraServices: ['affinity'], env: { AFFINITY_HASH_BY_USER: 'true' } });
    const second = await stack.startService('gateway', 'gateway-2');
    edges = [stack.gatewayUrl, second.httpUrl];
    // Both edges registered and healthy, and each gateway's view says sessions are placed by user.
    await eventually(
      async () => {
        type View = { hashByUser: boolean; edges: { healthy: boolean }[] };
        const views = await Promise.all(
          edges.map(async (e) => (await (await fetch(`${e}/v1/edges`, { headers: { 'x-api-key': stack.apiKey } })).json()) as View),
        );
        return views.every((v) => v.hashByUser && v.edges.filter((x) => x.healthy).length === 2) ? true : undefined;
      },
      30_000,
      'both edges registered',
    );
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('sends every session of one user to one edge, whichever gateway created it, in the records and in the answers', async () => {
    const json = { 'x-api-key': stack.apiKey, 'content-type': 'application/json' };
    const byUser = new Map<string, string>();
    for (const user of ['together-a', 'together-b', 'together-c', 'together-d']) {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await fetch(`${edges[i % edges.length]}/v1/sessions`, { method: 'POST', headers: json, body: JSON.stringify({ userId: user }) });
        expect(r.status).toBe(201);
        ids.push(((await r.json()) as { id: string }).id);
      }
      const urls = await Promise.all(
        ids.map((id, i) =>
          eventually(async () => {
            await fetch(`${edges[i % edges.length]}/v1/sessions/${id}`, { headers: json });
            return recordedEdge(stack.databaseUrl, id);
          }, 15_000),
        ),
      );
      expect(new Set(urls).size).toBe(1);
      byUser.set(user, urls[0]!);
      // Both gateways name that edge in their answers about any of the user's sessions.
      await eventually(async () => {
        const named = await Promise.all(
          ids.flatMap((id) => edges.map(async (edge) => (await fetch(`${edge}/v1/sessions/${id}`, { headers: json })).headers.get(PREFERRED))),
        );
        return named.every((u) => u === urls[0]) ? true : undefined;
      }, 15_000);
    }
    expect([...byUser.values()].every((u) => edges.includes(u))).toBe(true);
  }, 180_000);
});

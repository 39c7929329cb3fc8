import { Client } from 'pg';
import { ForesightClient, type FetchLike } from '@foresight/client';
import { eventually } from '@foresight/testing';
import { metricSum, scrapeMetrics } from '../../bench/prometheus-text';
import type { LocalStack } from '../../scripts/local-stack';
import { startTestStack } from './support';

const PREFERRED = 'foresight-preferred-edge';

/** Every URL the client called, and the preferred edge each answer named. */
function recordingFetch() {
  const calls: { url: string; preferred: string | null; status: number }[] = [];
  const f: FetchLike = async (url, init) => {
    try {
      const r = await fetch(url, init);
      calls.push({ url, preferred: r.headers.get(PREFERRED), status: r.status });
      return r;
    } catch (error) {
      calls.push({ url, preferred: null, status: 0 });
      throw error;
    }
  };
  return { f, calls };
}

const origin = (url: string) => new URL(url).origin;

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

/** Reads until the answers name the edge of the session's record; that edge. */
async function settledEdge(stack: LocalStack, s: { id: string; get(): Promise<unknown> }, calls: { preferred: string | null }[]): Promise<string> {
  return eventually(async () => {
    const recorded = await recordedEdge(stack.databaseUrl, s.id);
    await s.get();
    return recorded !== undefined && calls[calls.length - 1]!.preferred === recorded ? recorded : undefined;
  }, 10_000);
}

/** Two gateway edges, the affinity service and the SDK, as separate processes. */
describe('edges and session affinity (two gateways, affinity service, SDK client)', () => {
  let stack: LocalStack;
  let edges: string[];

  beforeAll(async () => {
    stack = await startTestStack('edges', { shardNodes: 1, extraServices: ['affinity'], env: { EDGE_LEASE_MS: '1500' } });
    const second = await stack.startService('gateway', 'gateway-2');
    edges = [stack.gatewayUrl, second.httpUrl];
    // Both edges registered and seen healthy by the affinity service.
    await eventually(
      async () => {
        const r = await fetch(`${stack.gatewayUrl}/health`);
        return r.ok ? true : undefined;
      },
      10_000,
      'gateway healthy',
    );
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('the client sticks to the edge the answers name', async () => {
    const { f, calls } = recordingFetch();
    const client = new ForesightClient({ baseUrl: edges, apiKey: stack.apiKey, agent: { reportIntervalMs: 0 }, fetch: f, checkContract: false });
    try {
      const s = client.session((await client.createSession({ data: { cart: { items: [] } } })).id);
      // The affinity service answers in the background; then every answer names the session's edge.
      const preferred = await settledEdge(stack, s, calls);
      expect(edges).toContain(preferred);
      calls.length = 0;
      for (let i = 0; i < 20; i++) await s.set('cart', 'n', i);
      expect(calls.every((c) => origin(c.url) === preferred && c.status === 200 && c.preferred === preferred)).toBe(true);
      // The agent's report reaches the session's weight: the record names this client, and the policy's state appears.
      await client.reportNow();
      const record = await eventually(async () => {
        const db = new Client({ connectionString: stack.databaseUrl });
        await db.connect();
        try {
          const r = await db.query<{ client_id: string | null; weight: number; stickiness: unknown }>(
            `SELECT client_id, weight, stickiness FROM session_affinity WHERE session_id = $1`,
            [s.id],
          );
          return r.rows[0]?.stickiness ? r.rows[0] : undefined;
        } finally {
          await db.end();
        }
      });
      expect(record.client_id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
      expect(record.weight).toBeGreaterThanOrEqual(50);
    } finally {
      client.close();
    }
  }, 60_000);

  it('the create answer names the preferred edge; the registry and the affinity records are read and set over HTTP', async () => {
    const key = { 'x-api-key': stack.apiKey };
    const json = { ...key, 'content-type': 'application/json' };
    const created = await fetch(`${edges[0]}/v1/sessions`, { method: 'POST', headers: json, body: JSON.stringify({ userId: 'http-user' }) });
    expect(created.status).toBe(201);
    expect(edges).toContain(created.headers.get(PREFERRED));
    const { id } = (await created.json()) as { id: string };

    const list = (await (await fetch(`${edges[0]}/v1/edges`, { headers: key })).json()) as {
      edges: { edgeId: string; url: string; healthy: boolean; status?: string; leaseExpiresAt?: string }[];
      threshold: number;
    };
    const live = list.edges.filter((e) => e.healthy);
    expect(live.map((e) => e.url).sort()).toEqual([...edges].sort());
    expect(live.every((e) => e.status === 'active' && Date.parse(e.leaseExpiresAt!) > 0)).toBe(true);
    expect(list.threshold).toBe(40);
    const one = await fetch(`${edges[1]}/v1/edges/${live[0]!.edgeId}`, { headers: key });
    expect(one.status).toBe(200);
    expect(((await one.json()) as { edge: { url: string } }).edge.url).toBe(live[0]!.url);
    const unknownEdge = await fetch(`${edges[0]}/v1/edges/no-such-edge`, { headers: key });
    expect(unknownEdge.status).toBe(404);
    expect(((await unknownEdge.json()) as { error: { code: string } }).error.code).toBe('EDGE.NOT_FOUND');
    expect((await fetch(`${edges[0]}/v1/edges/bad%21id`, { headers: key })).status).toBe(400);
    expect((await fetch(`${edges[0]}/v1/edges`)).status).toBe(401);

    // The record appears once the affinity service has routed the session (asked in the background at creation).
    const record = await eventually(async () => {
      const r = await fetch(`${edges[0]}/v1/sessions/${id}/affinity`, { headers: key });
      return r.status === 200 ? ((await r.json()) as { edgeId: string; url: string; weight: number; recordVersion: number }) : undefined;
    }, 10_000);
    expect(edges).toContain(record.url);
    const put = (body: unknown, sessionId = id) =>
      fetch(`${edges[1]}/v1/sessions/${sessionId}/affinity/weight`, { method: 'PUT', headers: json, body: JSON.stringify(body) });
    const set = await put({ weight: 85 });
    expect(set.status).toBe(200);
    const after = (await set.json()) as { weight: number; recordVersion: number; edgeId: string };
    expect(after).toMatchObject({ weight: 85, edgeId: record.edgeId });
    expect(after.recordVersion).toBeGreaterThan(record.recordVersion);
    const read = (await (await fetch(`${edges[0]}/v1/sessions/${id}/affinity`, { headers: key })).json()) as { weight: number };
    expect(read.weight).toBe(85);
    for (const bad of [{ weight: 101 }, { weight: -1 }, { weight: 50.5 }, { weight: 'high' }, {}]) {
      const r = await put(bad);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('REQUEST.INVALID');
    }
    const unknown = await fetch(`${edges[0]}/v1/sessions/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/affinity`, { headers: key });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('SESSION.NOT_FOUND');
    expect((await put({ weight: 10 }, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
  }, 60_000);

  it("places one user's sessions independently by default (AFFINITY_HASH_BY_USER off)", async () => {
    const json = { 'x-api-key': stack.apiKey, 'content-type': 'application/json' };
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      const r = await fetch(`${edges[i % edges.length]}/v1/sessions`, { method: 'POST', headers: json, body: JSON.stringify({ userId: 'spread-user' }) });
      expect(r.status).toBe(201);
      ids.push(((await r.json()) as { id: string }).id);
    }
    // Each session by its own id, so a user's sessions spread over both edges.
    const urls = await Promise.all(ids.map((id) => eventually(() => recordedEdge(stack.databaseUrl, id), 15_000)));
    expect(new Set(urls).size).toBe(2);
  }, 60_000);

  it('re-routes a session when its edge is SIGKILLed, with no error for the client', async () => {
    const { f, calls } = recordingFetch();
    const client = new ForesightClient({ baseUrl: edges, apiKey: stack.apiKey, agent: { reportIntervalMs: 0 }, fetch: f, checkContract: false });
    try {
      const s = client.session((await client.createSession({ data: { cart: { items: [] } } })).id);
      const preferred = await settledEdge(stack, s, calls);
      const victim = [...stack.services.values()].find((svc) => svc.app === 'gateway' && svc.httpUrl === preferred)!;
      const survivor = edges.find((e) => e !== preferred)!;
      await stack.kill(victim.name, 'SIGKILL');
      let errors = 0;
      // Writes and reads through the failure and past the edge's lease: every one must succeed.
      for (let i = 0; i < 40; i++) {
        try {
          await s.set('cart', 'after', i);
          await s.get();
        } catch {
          errors++;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(errors).toBe(0);
      // The affinity service noticed the dead edge: answers now name the survivor.
      await eventually(async () => {
        await s.get();
        return calls[calls.length - 1]!.preferred === survivor ? true : undefined;
      }, 10_000);
      expect(origin(calls[calls.length - 1]!.url)).toBe(survivor);
      // The survivor's edge cache warms from the owner: the first read of a variable asks it, the next is a hit, both the last write.
      const survivorService = [...stack.services.values()].find((svc) => svc.app === 'gateway' && svc.httpUrl === survivor)!;
      const hits = async () => metricSum((await scrapeMetrics([survivorService]))[0]!, 'foresight_l1_lookups_total', 'result="hit"');
      const readVar = async () => {
        const r = await fetch(`${survivor}/v1/sessions/${s.id}/vars/cart/after`, { headers: { 'x-api-key': stack.apiKey } });
        expect(r.status).toBe(200);
        return ((await r.json()) as { value: unknown }).value;
      };
      expect(await readVar()).toBe(39);
      const before = await hits();
      expect(await readVar()).toBe(39);
      expect(await hits()).toBe(before + 1);
      edges = [survivor];
    } finally {
      client.close();
    }
  }, 60_000);

  it('serves every request while the affinity service is down (from the edge view)', async () => {
    const client = new ForesightClient({ baseUrl: edges, apiKey: stack.apiKey, agent: { reportIntervalMs: 0 }, checkContract: false });
    try {
      const s = client.session((await client.createSession({})).id);
      await stack.kill('affinity', 'SIGKILL');
      for (let i = 0; i < 20; i++) await expect(s.set('cart', 'n', i)).resolves.toMatchObject({ version: expect.any(Number) });
      const r = await fetch(`${edges[0]}/v1/sessions/${s.id}`, { headers: { 'x-api-key': stack.apiKey } });
      expect(r.status).toBe(200);
      expect(r.headers.get(PREFERRED)).toBe(edges[0]);
    } finally {
      client.close();
    }
  }, 60_000);

  it('refuses malformed agent reports and rate-limits a flooding agent', async () => {
    const post = (body: unknown) =>
      fetch(`${edges[0]}/v1/agent/reports`, {
        method: 'POST',
        headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bad = await post({ clientId: 'c!', gateways: 'x' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('REQUEST.INVALID');
    const report = {
      clientId: 'flooder',
      sdk: 'test/1',
      windowMs: 1000,
      gateways: [{ gateway: edges[0], requests: 1, errors: 0, throughputRps: 1, rttMs: { mean: 1, p50: 1, p90: 1, p99: 1 } }],
    };
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await post(report)).status);
    expect(statuses).toContain(202);
    expect(statuses).toContain(429);
  });
});

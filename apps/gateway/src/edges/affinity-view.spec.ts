import type { AffinityCommands, AffinityOp, RouteCommand } from '@foresight/contracts';
import type { Logger } from '@foresight/observability';
import type { NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import type { AffinityClient } from './affinity-client';
import { AffinityView } from './affinity-view';

const edges = [
  { edgeId: 'a', url: 'http://a', zone: 'z', healthy: true, sessions: 0 },
  { edgeId: 'b', url: 'http://b', zone: 'z', healthy: true, sessions: 0 },
  { edgeId: 'c', url: 'http://c', zone: 'z', healthy: true, sessions: 0 },
];

/** An affinity client that answers `view` and records (or refuses) `route` requests. */
function fakeClient(hashByUser: boolean) {
  const routes: RouteCommand[] = [];
  let refuse = false;
  const client = {
    call: async <K extends AffinityOp>(op: K, request: AffinityCommands[K]['request']) => {
      if (op === 'view') return { edges, threshold: 40, hashByUser };
      routes.push(request as RouteCommand);
      if (refuse) throw new Error('no responders');
      return new Promise(() => undefined); // never answers: the view keeps its fallback
    },
  };
  return { client: client as unknown as AffinityClient, routes, refuse: (on: boolean) => (refuse = on) };
}

const silent = { debug: () => undefined } as unknown as Logger;

describe('AffinityView', () => {
  let now = 1_000_000;
  const clock = { now: () => now };
  const make = async (hashByUser: boolean) => {
    const fake = fakeClient(hashByUser);
    const view = new AffinityView(
      {} as NatsConnection,
      fake.client,
      { namespace: 'fs', edgeId: 'a', url: 'http://a', cacheTtlMs: 30_000, refreshMs: 1000, maxSessions: 100 },
      clock,
      silent,
      new Registry(),
    );
    await view.refresh();
    return { view, ...fake };
  };

  it('given hashing by user, then the sessions of one user get one fallback edge before their records exist', async () => {
    const { view } = await make(true);
    const urls = new Set(Array.from({ length: 20 }, (_, i) => view.preferredEdge(`s${i}`, { userId: 'u-1' }).url));
    expect(urls.size).toBe(1);
  });

  it('given no hashing by user, then the sessions of one user spread', async () => {
    const { view } = await make(false);
    const urls = new Set(Array.from({ length: 20 }, (_, i) => view.preferredEdge(`s${i}`, { userId: 'u-1' }).url));
    expect(urls.size).toBeGreaterThan(1);
  });

  it('given the route asked at creation failed, then the next one still names the user', async () => {
    const { view, routes, refuse } = await make(true);
    refuse(true);
    view.preferredEdge('s1', { userId: 'u-1' });
    await new Promise((r) => setImmediate(r));
    refuse(false);
    now += 2000; // past the pause after a failure
    view.preferredEdge('s1');
    expect(routes.map((r) => r.userId)).toEqual(['u-1', 'u-1']);
  });
});

import Fastify from 'fastify';
import type { AffinityView } from './affinity-view';
import { PREFERRED_EDGE_HEADER, PreferredEdges } from './preferred-edge.hook';

/** The hook on a real Fastify instance: the header on answers about issued sessions, the id check once per id. */
describe('PreferredEdges hook', () => {
  const view = { preferredEdge: (id: string) => ({ url: `http://edge-of-${id}`, source: 'record' as const }) } as unknown as AffinityView;

  async function appWith(isIssued: (id: string) => boolean, remember?: number) {
    const app = Fastify();
    new PreferredEdges(view, true, isIssued, remember).install(app);
    app.get('/v1/sessions/:id', async () => ({ ok: true }));
    await app.ready();
    return app;
  }

  it('names the edge on every answer and checks an issued id once', async () => {
    const checked: string[] = [];
    const app = await appWith((id) => (checked.push(id), id.startsWith('ok')));
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'GET', url: '/v1/sessions/ok1' });
      expect(res.headers[PREFERRED_EDGE_HEADER]).toBe('http://edge-of-ok1');
    }
    expect(checked).toEqual(['ok1']);
    await app.close();
  });

  it('never names an edge for an id the cluster did not issue, and keeps checking it', async () => {
    const checked: string[] = [];
    const app = await appWith((id) => (checked.push(id), false));
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'GET', url: '/v1/sessions/made-up' });
      expect(res.headers[PREFERRED_EDGE_HEADER]).toBeUndefined();
    }
    expect(checked).toEqual(['made-up', 'made-up']);
    await app.close();
  });

  it('remembers a bounded number of ids, forgetting the oldest', async () => {
    const checked: string[] = [];
    const app = await appWith((id) => (checked.push(id), true), 2);
    for (const id of ['a1', 'a2', 'a3', 'a3', 'a2', 'a1']) await app.inject({ method: 'GET', url: `/v1/sessions/${id}` });
    // a1 was forgotten when a3 came in: checked again at the end.
    expect(checked).toEqual(['a1', 'a2', 'a3', 'a1']);
    await app.close();
  });
});

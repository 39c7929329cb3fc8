import Fastify from 'fastify';
import { IssuedIds } from '../common/issued-ids';
import type { AffinityView } from './affinity-view';
import { PREFERRED_EDGE_HEADER, PreferredEdges } from './preferred-edge.hook';

/** The hook on a real Fastify instance: the header on answers about issued sessions only. */
describe('PreferredEdges hook', () => {
  const view = { preferredEdge: (id: string) => ({ url: `http://edge-of-${id}`, source: 'record' as const }) } as unknown as AffinityView;

  async function appWith(isIssued: (id: string) => boolean) {
    const app = Fastify();
    new PreferredEdges(view, true, isIssued).install(app);
    app.get('/v1/sessions/:id', async () => ({ ok: true }));
    await app.ready();
    return app;
  }

  it('names the edge on every answer about an issued session, with the ids remembered', async () => {
    const checked: string[] = [];
    const issued = new IssuedIds((id) => (checked.push(id), id.startsWith('ok')));
    const app = await appWith((id) => issued.has(id));
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
});

import { DEFAULT_RETRY } from '../src/backoff';
import { Transport, type FetchLike } from '../src/transport';

type Reply = { status: number; body?: unknown; edge?: string } | Error;

/** Gateways by URL prefix, each with its scripted replies; records the URLs called. */
function gateways(script: Record<string, Reply[]>) {
  const sent: string[] = [];
  const fetch: FetchLike = async (url) => {
    sent.push(url);
    const base = Object.keys(script).find((g) => url.startsWith(g))!;
    const reply = script[base]!.shift() ?? { status: 200, body: {} };
    if (reply instanceof Error) throw reply;
    return {
      status: reply.status,
      headers: { get: (name: string) => (name === 'foresight-preferred-edge' ? (reply.edge ?? null) : null) },
      text: async () => JSON.stringify(reply.body ?? {}),
    };
  };
  return { fetch, sent };
}

function transport(fetch: FetchLike) {
  return new Transport({
    gateways: ['http://g1', 'http://g2', 'http://g3'],
    fetch,
    credentials: { headers: () => ({ 'x-api-key': 'k' }) },
    timeoutMs: 5000,
    attemptTimeoutMs: 5000,
    retry: { ...DEFAULT_RETRY, baseDelayMs: 1, maxDelayMs: 2 },
  });
}

describe('following the preferred edge', () => {
  it("sends a session's next requests to the edge its answers name, per session", async () => {
    const { fetch, sent } = gateways({ 'http://g1': [{ status: 200, body: {}, edge: 'http://g2/' }], 'http://g2': [], 'http://g3': [] });
    const t = transport(fetch);
    await t.call('SessionsController_get', { params: { id: 'a' } });
    await t.call('SessionsController_get', { params: { id: 'a' } });
    await t.call('SessionsController_get', { params: { id: 'b' } });
    expect(sent).toEqual(['http://g1/v1/sessions/a', 'http://g2/v1/sessions/a', 'http://g1/v1/sessions/b']);
  });

  it('learns the preferred edge of a session it creates', async () => {
    const { fetch, sent } = gateways({ 'http://g1': [{ status: 201, body: { id: 's1' }, edge: 'http://g3' }], 'http://g2': [], 'http://g3': [] });
    const t = transport(fetch);
    await t.call('SessionsController_create', { body: '{}' });
    await t.call('SessionsController_get', { params: { id: 's1' } });
    expect(sent[1]).toBe('http://g3/v1/sessions/s1');
  });

  it('never follows a header to a gateway it was not given', async () => {
    const { fetch, sent } = gateways({ 'http://g1': [{ status: 200, body: {}, edge: 'http://evil.example' }], 'http://g2': [], 'http://g3': [] });
    const t = transport(fetch);
    await t.call('SessionsController_get', { params: { id: 'a' } });
    await t.call('SessionsController_get', { params: { id: 'a' } });
    expect(sent).toEqual(['http://g1/v1/sessions/a', 'http://g1/v1/sessions/a']);
  });

  it('leaves a preferred edge that does not answer, and follows the new one without an error', async () => {
    const { fetch, sent } = gateways({
      'http://g1': [
        { status: 200, body: {}, edge: 'http://g2' },
        { status: 200, body: { ok: 1 }, edge: 'http://g3' },
      ],
      'http://g2': [new TypeError('fetch failed')],
      'http://g3': [],
    });
    const t = transport(fetch);
    await t.call('SessionsController_get', { params: { id: 'a' } });
    await expect(t.call('SessionsController_get', { params: { id: 'a' } })).resolves.toEqual({ ok: 1 });
    await t.call('SessionsController_get', { params: { id: 'a' } });
    expect(sent).toEqual(['http://g1/v1/sessions/a', 'http://g2/v1/sessions/a', 'http://g1/v1/sessions/a', 'http://g3/v1/sessions/a']);
  });
});

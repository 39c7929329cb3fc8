import { AgentMeter } from '../src/agent';
import { DEFAULT_RETRY } from '../src/backoff';
import { AbortedError, ConnectionError, DeadlineExceededError, VersionConflictError, UnavailableError } from '../src/errors';
import { Transport, type FetchLike } from '../src/transport';

type Reply = { status: number; body?: unknown } | Error;

/** A scripted gateway: each attempt takes the next reply; records what it was sent. */
function scripted(replies: Reply[]) {
  const sent: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
  const fetch: FetchLike = async (url, init) => {
    sent.push({ url, method: init.method, headers: init.headers, body: init.body });
    const reply = replies.shift() ?? { status: 500 };
    if (reply instanceof Error) throw reply;
    return { status: reply.status, text: async () => (reply.body === undefined ? '' : JSON.stringify(reply.body)) };
  };
  return { fetch, sent };
}

const envelope = (code: string, details?: unknown) => ({ error: { code, message: code, correlationId: 'c', ...(details ? { details } : {}) } });
const fast = { ...DEFAULT_RETRY, baseDelayMs: 1, maxDelayMs: 2 };

function transport(fetch: FetchLike, extra: Partial<ConstructorParameters<typeof Transport>[0]> = {}) {
  return new Transport({
    gateways: ['http://g1', 'http://g2'],
    fetch,
    credentials: { headers: () => ({ 'x-api-key': 'k' }) },
    timeoutMs: 5000,
    attemptTimeoutMs: 5000,
    retry: fast,
    ...extra,
  });
}

describe('Transport', () => {
  it('retries a write on 503 and a lost connection with the same Idempotency-Key, moving to the next gateway', async () => {
    const { fetch, sent } = scripted([
      { status: 503, body: envelope('SERVICE.UNAVAILABLE') },
      new TypeError('fetch failed'),
      { status: 200, body: { version: 3 } },
    ]);
    const t = transport(fetch);
    const reply = await t.call('SessionsController_putVar', { params: { id: 's', group: 'cart', name: 'n' }, body: '{"value":1}' });
    expect(reply).toEqual({ version: 3 });
    expect(sent.map((s) => s.url)).toEqual([
      'http://g1/v1/sessions/s/vars/cart/n',
      'http://g2/v1/sessions/s/vars/cart/n',
      'http://g1/v1/sessions/s/vars/cart/n',
    ]);
    const keys = new Set(sent.map((s) => s.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('gives every call its own key, and none to reads', async () => {
    const { fetch, sent } = scripted([
      { status: 200, body: {} },
      { status: 200, body: {} },
      { status: 200, body: {} },
    ]);
    const t = transport(fetch);
    await t.call('SessionsController_recordAction', { params: { id: 's' }, body: '{"action":"a"}' });
    await t.call('SessionsController_recordAction', { params: { id: 's' }, body: '{"action":"a"}' });
    await t.call('SessionsController_get', { params: { id: 's' }, query: { groups: 'cart,auth' } });
    expect(sent[0]!.headers['idempotency-key']).not.toBe(sent[1]!.headers['idempotency-key']);
    expect(sent[2]!.headers['idempotency-key']).toBeUndefined();
    expect(sent[2]!.url).toBe('http://g1/v1/sessions/s?groups=cart%2Cauth');
  });

  it('does not retry a refusal: 409 becomes a VersionConflictError with currentVersion', async () => {
    const { fetch, sent } = scripted([{ status: 409, body: envelope('SESSION.VERSION_CONFLICT', { currentVersion: 7 }) }]);
    const error = await transport(fetch)
      .call('SessionsController_putVar', { params: { id: 's', group: 'g', name: 'n' }, body: '{}' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError).currentVersion).toBe(7);
    expect(sent).toHaveLength(1);
  });

  it('stops after maxAttempts with the last error, and never past the deadline', async () => {
    const { fetch } = scripted(Array.from({ length: 10 }, () => ({ status: 503, body: envelope('SERVICE.UNAVAILABLE') })));
    await expect(transport(fetch, { retry: { ...fast, maxAttempts: 3 } }).call('SessionsController_get', { params: { id: 's' } })).rejects.toBeInstanceOf(
      UnavailableError,
    );
    const down = scripted(Array.from({ length: 100 }, () => new TypeError('fetch failed')));
    const slow = transport(down.fetch, { timeoutMs: 60, retry: { maxAttempts: 100, baseDelayMs: 20, maxDelayMs: 20 }, random: () => 1 });
    const error = await slow.call('SessionsController_get', { params: { id: 's' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).cause).toBeInstanceOf(ConnectionError);
    expect(down.sent.length).toBeLessThan(10);
  });

  it('abandons an attempt that outlives attemptTimeoutMs and retries it', async () => {
    let calls = 0;
    const fetch: FetchLike = (url, init) => {
      calls++;
      if (calls === 1) return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      return Promise.resolve({ status: 200, text: async () => '{"ok":1}' });
    };
    await expect(transport(fetch, { attemptTimeoutMs: 30 }).call('SessionsController_get', { params: { id: 's' } })).resolves.toEqual({ ok: 1 });
    expect(calls).toBe(2);
  });

  it('rejects with AbortedError as soon as the caller aborts, also during a back-off', async () => {
    const { fetch } = scripted(Array.from({ length: 10 }, () => ({ status: 503, body: envelope('SERVICE.UNAVAILABLE') })));
    const controller = new AbortController();
    const t = transport(fetch, { timeoutMs: 60_000, retry: { maxAttempts: 10, baseDelayMs: 10_000, maxDelayMs: 10_000 }, random: () => 1 });
    const pending = t.call('SessionsController_get', { params: { id: 's' } }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
  });

  it('waits as long as a 429 asks before retrying', async () => {
    const { fetch, sent } = scripted([
      { status: 429, body: envelope('REQUEST.RATE_LIMITED', { retryAfterMs: 40 }) },
      { status: 200, body: {} },
    ]);
    const started = Date.now();
    await transport(fetch).call('TokensController_refresh', { body: '{"refreshToken":"x"}' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(sent).toHaveLength(2);
  });

  it('feeds the agent: answered attempts with their RTT, failed ones as errors', async () => {
    const meter = new AgentMeter();
    const { fetch } = scripted([new TypeError('fetch failed'), { status: 200, body: {} }, { status: 404, body: envelope('SESSION.NOT_FOUND') }]);
    const t = transport(fetch, { meter });
    await t.call('SessionsController_get', { params: { id: 's' } });
    await t.call('SessionsController_get', { params: { id: 's' } }).catch(() => undefined);
    const byGateway = Object.fromEntries(meter.snapshot().map((g) => [g.gateway, g]));
    expect(byGateway['http://g1']).toMatchObject({ requests: 1, errors: 1 });
    expect(byGateway['http://g2']).toMatchObject({ requests: 2, errors: 0 });
  });
});

import { ForesightClient } from '../src/client';
import { LockLostError } from '../src/errors';
import { CONTRACT_VERSION } from '../src/generated/contract';
import type { FetchLike } from '../src/transport';

const contract = {
  contractVersion: CONTRACT_VERSION,
  api: 'v1',
  limits: { maxVariableBytes: 1000, maxSessionBytes: 10000, maxBodyBytes: 10000, variableNameLength: 128, dataKeyLength: 512 },
  groups: ['cart'],
  agentReportIntervalMs: 0,
};
const TOKEN = 'lk_AAAAAAAAAAAAAAAAAAAAAA';
const grant = (leaseMs: number) => ({
  sessionId: 's1',
  token: TOKEN,
  mode: 'exclusive',
  leaseMs,
  expiresAt: new Date(Date.now() + leaseMs).toISOString(),
  state: 'exclusive',
});

/** A gateway that answers the lock routes (renewals as `renewAnswer` says) and records what it was sent. */
function gateway(renewAnswer: () => { status: number; body: unknown } = () => ({ status: 200, body: grant(150) })) {
  const sent: { method: string; path: string; headers: Record<string, string>; body?: string }[] = [];
  const fetch: FetchLike = async (url, init) => {
    const path = new URL(url).pathname;
    sent.push({ method: init.method, path, headers: init.headers, body: init.body });
    const answer = (status: number, body: unknown) => ({ status, text: async () => JSON.stringify(body) });
    if (path === '/v1/contract') return answer(200, contract);
    if (path.endsWith('/locks')) return answer(201, grant(150));
    if (path.endsWith('/locks/renew')) {
      const r = renewAnswer();
      return answer(r.status, r.body);
    }
    if (path.endsWith('/locks/release')) return answer(200, { released: true, state: 'unlocked' });
    return answer(200, { version: 2 });
  };
  return { client: new ForesightClient({ baseUrl: 'http://gw', apiKey: 'k', fetch, agent: false }), sent };
}

describe('withLock', () => {
  it('acquires, gives fn the token and a session whose writes carry it, renews while fn runs, releases after', async () => {
    const { client, sent } = gateway();
    const result = await client.withLock(
      's1',
      'exclusive',
      async (lock) => {
        expect(lock.token).toBe(TOKEN);
        await lock.session.set('cart', 'items', [1]);
        await new Promise((r) => setTimeout(r, 220));
        expect(lock.signal.aborted).toBe(false);
        return 'done';
      },
      { leaseMs: 150, holder: 'w1' },
    );
    expect(result).toBe('done');
    const paths = sent.map((s) => `${s.method} ${s.path}`);
    expect(paths[1]).toBe('POST /v1/sessions/s1/locks');
    expect(JSON.parse(sent[1]!.body!)).toEqual({ mode: 'exclusive', leaseMs: 150, holder: 'w1' });
    const put = sent.find((s) => s.method === 'PUT')!;
    expect(put.headers['lock-token']).toBe(TOKEN);
    expect(paths.filter((p) => p.endsWith('/locks/renew')).length).toBeGreaterThanOrEqual(2);
    expect(paths.at(-1)).toBe('POST /v1/sessions/s1/locks/release');
  });

  it('releases when fn throws, and passes the error on', async () => {
    const { client, sent } = gateway();
    await expect(
      client.withLock('s1', 'shared', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(sent.at(-1)!.path).toBe('/v1/sessions/s1/locks/release');
  });

  it('aborts lock.signal when a renewal is refused, and does not release a lock it lost', async () => {
    const { client, sent } = gateway(() => ({ status: 409, body: { error: { code: 'LOCK.EXPIRED', message: 'expired', correlationId: 'c' } } }));
    const reason = await client.withLock(
      's1',
      'exclusive',
      (lock) =>
        new Promise<unknown>((resolve) => {
          lock.signal.addEventListener('abort', () => resolve(lock.signal.reason));
        }),
      { leaseMs: 150 },
    );
    expect(reason).toBeInstanceOf(LockLostError);
    expect(sent.some((s) => s.path.endsWith('/locks/release'))).toBe(false);
  });
});

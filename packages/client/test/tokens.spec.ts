import { TokenError, TokenRevokedError } from '../src/errors';
import type { TokenPair } from '../src/generated/contract';
import { TokenManager } from '../src/tokens';

const jwt = (iat: number, generation: number) => `h.${Buffer.from(JSON.stringify({ iat: iat / 1000, jti: `f.${generation}` })).toString('base64url')}.s`;

function pair(generation: number, issuedAt: number, lifetimeMs = 4000): TokenPair {
  return {
    tokenType: 'Bearer',
    accessToken: jwt(issuedAt, generation),
    accessExpiresAt: new Date(issuedAt + lifetimeMs).toISOString(),
    refreshToken: `r${generation}`,
    refreshExpiresAt: new Date(issuedAt + 86_400_000).toISOString(),
    generation,
  };
}

describe('TokenManager', () => {
  let now = 1_700_000_000_000;
  const clock = () => now;

  it('many concurrent callers with an expired token share one refresh, made with the newest refresh token', async () => {
    const used: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const m = new TokenManager({
      tokens: pair(0, now),
      now: clock,
      refresh: async (token) => {
        used.push(token);
        await gate;
        return pair(Number(token.slice(1)) + 1, now);
      },
    });
    now += 3500; // within the 1-s margin of a 4-s token
    const waiting = Array.from({ length: 50 }, () => m.accessToken());
    release();
    const tokens = await Promise.all(waiting);
    expect(used).toEqual(['r0']);
    expect(new Set(tokens).size).toBe(1);
    expect(m.current.generation).toBe(1);
    expect(m.stats.refreshes).toBe(1);
  });

  it('keeps a pushed pair until the active token nears expiry, then switches without a refresh', async () => {
    const refresh = jest.fn();
    const m = new TokenManager({ tokens: pair(0, now), now: clock, refresh });
    const first = await m.accessToken();
    const next = pair(1, now + 2000);
    expect(m.offer(next)).toBe(true);
    expect(m.offer(next)).toBe(false); // the gateway re-pushes until acknowledged
    expect(await m.accessToken()).toBe(first);
    now += 3100;
    expect(await m.accessToken()).toBe(next.accessToken);
    expect(refresh).not.toHaveBeenCalled();
    expect(m.stats).toEqual({ pushed: 1, refreshes: 0, switches: 1 });
  });

  it('refreshes with the pushed pair’s refresh token once it holds one (the older one is only in grace)', async () => {
    const used: string[] = [];
    const m = new TokenManager({ tokens: pair(0, now), now: clock, refresh: async (t) => (used.push(t), pair(2, now)) });
    m.offer(pair(1, now));
    await m.refreshNow();
    expect(used).toEqual(['r1']);
  });

  it('never hands out a token it knows is expired: not the active one, not a pushed one that expired too', async () => {
    const first = pair(0, now);
    const pushed = pair(1, now);
    const m = new TokenManager({ tokens: first, now: clock, refresh: async () => pair(2, now) });
    m.offer(pushed);
    now += 60_000; // the client slept through both
    const token = await m.accessToken();
    expect(token).not.toBe(first.accessToken);
    expect(token).not.toBe(pushed.accessToken);
    expect(m.current.generation).toBe(2);
  });

  it('a revoked family is one TokenRevokedError for every later call, and an event', async () => {
    const revoked = new TokenRevokedError({ code: 'TOKEN.REUSED', status: 401, message: 'reused' });
    const events: string[] = [];
    const m = new TokenManager({ tokens: pair(0, now), now: clock, refresh: async () => Promise.reject(revoked) });
    m.on((e) => events.push(e.type));
    now += 5000;
    const errors = await Promise.all([m.accessToken(), m.accessToken()].map((p) => p.catch((e: unknown) => e)));
    expect(errors).toEqual([revoked, revoked]);
    await expect(m.accessToken()).rejects.toBe(revoked);
    expect(m.offer(pair(5, now))).toBe(false);
    expect(events).toEqual(['revoked']);
  });

  it('an unknown refresh token ends the manager too, as a TokenError', async () => {
    const unknown = new TokenError({ code: 'TOKEN.UNKNOWN', status: 401, message: 'unknown' });
    const m = new TokenManager({ tokens: pair(0, now), now: clock, refresh: async () => Promise.reject(unknown) });
    now += 5000;
    await expect(m.accessToken()).rejects.toBe(unknown);
    await expect(m.accessToken()).rejects.toBe(unknown);
  });
});

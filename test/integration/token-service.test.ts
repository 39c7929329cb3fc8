import {
  ErrorCodes,
  ForesightError,
  tokenSubjects,
  TOKEN_STREAM_DUPLICATE_WINDOW_MS,
  TOKEN_STREAM_MAX_AGE_MS,
  type TokenEvent,
  type TokenPair,
} from '@foresight/contracts';
import { decode, ensureStream } from '@foresight/messaging';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import type { Clock } from '@foresight/time';
import { verifyAccessToken } from '@foresight/token-core';
import { connect, type NatsConnection } from 'nats';
import type { Pool } from 'pg';
import { familyOf, tokenInstance } from './token-harness';

const ctx = { correlationId: 'c-test', causationId: 'c-test' };
const instance = (url: string, nc: NatsConnection, namespace: string, clock: Clock) => tokenInstance(url, nc, namespace, clock, { TOKEN_GRACE_MS: '30000' });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (error instanceof ForesightError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('token service against real Postgres and NATS', () => {
  let url: string;
  let nc: NatsConnection;
  const namespace = uniqueName('tok');
  const s = tokenSubjects(namespace);
  let now = Date.now();
  const clock: Clock = { now: () => now };
  let a: ReturnType<typeof tokenInstance>;
  let b: ReturnType<typeof tokenInstance>;
  const pools: Pool[] = [];

  beforeAll(async () => {
    url = await createTestDatabase('tokens');
    nc = await connect({ servers: testInfra().natsUrl });
    await ensureStream(nc, {
      name: s.tokenStream,
      subjects: [s.tokenEventsWildcard],
      replicas: 1,
      maxAgeMs: TOKEN_STREAM_MAX_AGE_MS,
      duplicateWindowMs: TOKEN_STREAM_DUPLICATE_WINDOW_MS,
    });
    a = instance(url, nc, namespace, clock);
    b = instance(url, nc, namespace, clock);
    pools.push(a.pool, b.pool);
    await Promise.all([a.keys.rotateIfDue(), b.keys.rotateIfDue()]);
    await Promise.all([a.keys.load(), b.keys.load()]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await nc.drain();
  });

  async function streamEvents(): Promise<TokenEvent[]> {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(s.tokenStream);
    const out: TokenEvent[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      out.push(decode<TokenEvent>((await jsm.streams.getMessage(s.tokenStream, { seq })).data));
    }
    return out;
  }

  it('creates one signing key even when two instances start together, and both sign and verify with it', async () => {
    const r = await a.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM token_signing_keys');
    expect(r.rows[0].n).toBe(1);
    expect(a.keys.ring().current?.kid).toBe(b.keys.ring().current?.kid);
    const row = await a.pool.query<{ sealed_private_key: Buffer }>('SELECT sealed_private_key FROM token_signing_keys');
    expect(row.rows[0].sealed_private_key.toString('latin1')).not.toMatch(/PRIVATE KEY/);
    expect((await a.keys.jwks()).keys.map((k) => k.kid)).toEqual([a.keys.ring().current?.kid]);
  });

  it('1,000 concurrent refreshes with the same token on two instances: one rotation, the same valid pair for all, no revocation', async () => {
    const sessionId = uniqueName('s');
    const issued = await a.tokens.issue(sessionId, 'u1', ctx);
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? a : b).tokens.refresh(issued.refreshToken, { correlationId: `c${i}`, causationId: `c${i}` })),
    );
    const distinct = new Set(results.map((p) => JSON.stringify(p)));
    expect(distinct.size).toBe(1);
    const pair: TokenPair = results[0];
    expect(pair.generation).toBe(1);
    expect(pair.refreshToken).not.toBe(issued.refreshToken);

    const familyId = familyOf(pair.accessToken);
    const family = await a.pool.query('SELECT status, current_generation, version FROM token_families WHERE family_id = $1', [familyId]);
    expect(family.rows[0]).toMatchObject({ status: 'active', current_generation: 1, version: 2 });
    const tokens = await a.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM token_refresh_tokens WHERE family_id = $1', [familyId]);
    expect(tokens.rows[0].n).toBe(2);

    const verified = await verifyAccessToken(b.keys.ring(), pair.accessToken, { now, issuer: a.config.token.issuer, audience: a.config.token.audience });
    expect(verified.ok && verified.claims.sid).toBe(sessionId);
    const next = await b.tokens.refresh(pair.refreshToken, ctx);
    expect(next.generation).toBe(2);
    const events = (await streamEvents()).filter((e) => e.sessionId === sessionId);
    expect(events.map((e) => e.type)).toEqual(['token.issued', 'token.refreshed', 'token.refreshed']);
    expect(JSON.stringify(events)).not.toContain(pair.refreshToken);
    expect(JSON.stringify(events)).not.toContain(pair.accessToken);
  }, 120_000);

  it('revokes the family when an older token is replayed, and publishes token.revoked', async () => {
    const sessionId = uniqueName('s');
    const p0 = await a.tokens.issue(sessionId, 'u2', ctx);
    const p1 = await a.tokens.refresh(p0.refreshToken, ctx);
    const p2 = await b.tokens.refresh(p1.refreshToken, ctx);
    expect(await codeOf(a.tokens.refresh(p0.refreshToken, ctx))).toBe(ErrorCodes.TOKEN_REUSED);
    expect(await codeOf(b.tokens.refresh(p2.refreshToken, ctx))).toBe(ErrorCodes.TOKEN_REVOKED);
    expect(await codeOf(b.tokens.refresh('x'.repeat(43), ctx))).toBe(ErrorCodes.TOKEN_UNKNOWN);
    expect(await codeOf(b.tokens.refresh('not a token', ctx))).toBe(ErrorCodes.TOKEN_MALFORMED);
    const revoked = await eventually(
      async () => (await streamEvents()).find((e) => e.sessionId === sessionId && e.type === 'token.revoked'),
      5000,
      'token.revoked',
    );
    expect(revoked.data).toMatchObject({ familyId: expect.any(String), reason: 'reuse-detected' });
  });

  it('grace: the previous token gets the same pair for 30 s after delivery, then counts as reuse', async () => {
    const p0 = await a.tokens.issue(uniqueName('s'), 'u3', ctx);
    const p1 = await a.tokens.refresh(p0.refreshToken, ctx);
    now += 29_000;
    expect(await b.tokens.refresh(p0.refreshToken, ctx)).toEqual(p1);
    now += 2000;
    expect(await codeOf(b.tokens.refresh(p0.refreshToken, ctx))).toBe(ErrorCodes.TOKEN_REUSED);
  });

  it('a pre-minted pair waits for its client: the old token fetches it until delivery, pending() resumes it, ack() starts the grace', async () => {
    const sessionId = uniqueName('s');
    const p0 = await a.tokens.issue(sessionId, 'u4', ctx);
    const familyId = familyOf(p0.accessToken);
    expect(await a.tokens.rotateAhead(familyId, 0, ctx)).toBe(true);
    expect(await b.tokens.rotateAhead(familyId, 0, ctx)).toBe(false);
    await eventually(
      () => (a.notices.some((n) => n.sessionId === sessionId && n.familyId === familyId && n.generation === 1) ? true : undefined),
      10_000,
      'the notice',
    );
    // Undelivered: no second pre-mint on top of it.
    expect(await a.tokens.rotateAhead(familyId, 1, ctx)).toBe(false);

    const resumed = await b.tokens.pending(sessionId, familyId, 0);
    expect(resumed?.generation).toBe(1);
    expect(await b.tokens.pending('another-session', familyId, 0)).toBeNull();
    now += 10 * 60_000;
    // Still undelivered ten minutes later: the old refresh token gets the same pair, which delivers it.
    expect(await a.tokens.refresh(p0.refreshToken, ctx)).toEqual(resumed);
    now += 31_000;
    expect(await codeOf(a.tokens.refresh(p0.refreshToken, ctx))).toBe(ErrorCodes.TOKEN_REUSED);

    const q0 = await a.tokens.issue(sessionId, 'u4', ctx);
    const q = familyOf(q0.accessToken);
    expect(await a.tokens.rotateAhead(q, 0, ctx)).toBe(true);
    expect(await b.tokens.ack(sessionId, q, 1)).toBe(true);
    expect(await a.tokens.pending(sessionId, q, 1)).toBeNull();
    expect(await a.tokens.rotateAhead(q, 1, ctx)).toBe(true);
  });

  it('renewal on use: a token used within the window gets its next pair pushed once; one used earlier, or for another session, none', async () => {
    const sessionId = uniqueName('s');
    const p0 = await a.tokens.issue(sessionId, 'u6', ctx);
    const familyId = familyOf(p0.accessToken);
    expect(await a.tokens.renewOnUse(sessionId, familyId, 0, ctx)).toBe(false); // fresh token: not due
    now = Date.parse(p0.accessExpiresAt) - 30_000;
    expect(await b.tokens.renewOnUse('another-session', familyId, 0, ctx)).toBe(false);
    expect(await b.tokens.renewOnUse(sessionId, familyId, 5, ctx)).toBe(false); // a generation it does not hold
    expect(await b.tokens.renewOnUse(sessionId, familyId, 0, ctx)).toBe(true);
    expect(await a.tokens.renewOnUse(sessionId, familyId, 0, ctx)).toBe(false); // already renewed
    await eventually(
      () => (a.notices.some((n) => n.sessionId === sessionId && n.familyId === familyId && n.generation === 1) ? true : undefined),
      10_000,
      'the notice of the renewed pair',
    );
    const pushed = await a.tokens.pending(sessionId, familyId, 0);
    expect(pushed?.generation).toBe(1);
    expect(Date.parse(pushed!.accessExpiresAt)).toBeGreaterThan(Date.parse(p0.accessExpiresAt));
    now = Date.parse(p0.accessExpiresAt);
    expect(await a.tokens.renewOnUse(sessionId, familyId, 1, ctx)).toBe(false); // undelivered generation 1 is not near expiry
  });

  it('revokes every family of a session at once', async () => {
    const sessionId = uniqueName('s');
    const p = await a.tokens.issue(sessionId, 'u5', ctx);
    await b.tokens.issue(sessionId, 'u5', ctx);
    expect(await a.tokens.revoke(sessionId, undefined, 'logout', ctx)).toBe(2);
    expect(await codeOf(b.tokens.refresh(p.refreshToken, ctx))).toBe(ErrorCodes.TOKEN_REVOKED);
    const revoked = await eventually(
      async () => {
        const found = (await streamEvents()).filter((e) => e.sessionId === sessionId && e.type === 'token.revoked');
        return found.length === 2 ? found : undefined;
      },
      5000,
      'two token.revoked events',
    );
    expect(revoked.map((e) => e.data)).toEqual([expect.objectContaining({ reason: 'logout' }), expect.objectContaining({ reason: 'logout' })]);
  });
});

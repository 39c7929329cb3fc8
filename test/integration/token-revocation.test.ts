import { ErrorCodes, ForesightError, tokenSubjects, TOKEN_STREAM_DUPLICATE_WINDOW_MS, TOKEN_STREAM_MAX_AGE_MS } from '@foresight/contracts';
import { ensureStream } from '@foresight/messaging';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { systemClock } from '@foresight/time';
import { connect, type NatsConnection } from 'nats';
import type { Pool } from 'pg';
import { AccessTokenVerifier } from '../../apps/gateway/src/tokens/access-token-verifier';
import { JwksCache } from '../../apps/gateway/src/tokens/jwks-cache';
import { RevocationCache } from '../../apps/gateway/src/tokens/revocation-cache';
import { familyOf, quietLogger, tokenInstance } from './token-harness';

const ctx = { correlationId: 'c-revoke', causationId: 'c-revoke' };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (error) {
    if (error instanceof ForesightError) return error.code;
    throw error;
  }
}

describe('revocation reaches the gateway L1 cache (real NATS JetStream, real Postgres)', () => {
  let nc: NatsConnection;
  let gatewayNc: NatsConnection;
  let pools: Pool[] = [];
  const namespace = uniqueName('rev');
  let service: ReturnType<typeof tokenInstance>;
  const caches: RevocationCache[] = [];

  const gatewayCache = async () => {
    const cache = new RevocationCache(gatewayNc, { namespace, replicas: 1, retainMs: 15 * 60_000 + 120_000, clock: systemClock }, quietLogger);
    await cache.start();
    caches.push(cache);
    return cache;
  };

  beforeAll(async () => {
    const url = await createTestDatabase('tokrev');
    nc = await connect({ servers: testInfra().natsUrl });
    gatewayNc = await connect({ servers: testInfra().natsUrl });
    const s = tokenSubjects(namespace);
    await ensureStream(nc, {
      name: s.tokenStream,
      subjects: [s.tokenEventsWildcard],
      replicas: 1,
      maxAgeMs: TOKEN_STREAM_MAX_AGE_MS,
      duplicateWindowMs: TOKEN_STREAM_DUPLICATE_WINDOW_MS,
    });
    service = tokenInstance(url, nc, namespace, systemClock);
    pools = [service.pool];
    await service.keys.rotateIfDue();
    await service.keys.load();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(caches.map((c) => c.stop()));
    await Promise.all(pools.map((p) => p.end()));
    await gatewayNc.drain();
    await nc.drain();
  });

  it('a revocation is applied by a running gateway cache within 1 s, and its access tokens are then refused', async () => {
    const cache = await gatewayCache();
    await eventually(() => (cache.ready ? true : undefined), 5000, 'cache ready');
    const verifier = new AccessTokenVerifier(
      new JwksCache(() => service.keys.jwks(), systemClock, 60_000),
      (c) => cache.isRevoked(c),
      systemClock,
      service.config.token,
    );
    const sessionId = uniqueName('s');
    const pair = await service.tokens.issue(sessionId, 'u1', ctx);
    expect((await verifier.verify(pair.accessToken)).sid).toBe(sessionId);

    const revokedAt = Date.now();
    expect(await service.tokens.revoke(sessionId, undefined, 'logout', ctx)).toBe(1);
    // The bound is the requirement itself: every gateway rejects a revoked family within 1 s.
    await eventually(() => (cache.list.isFamilyRevoked(familyOf(pair.accessToken)) ? true : undefined), 1000, 'revocation in the gateway cache within 1 s');
    process.stderr.write(`revocation reached the gateway cache ${Date.now() - revokedAt} ms after revoke() was called\n`);
    expect(await codeOf(verifier.verify(pair.accessToken))).toBe(ErrorCodes.TOKEN_REVOKED);
  });

  it('a gateway that starts after the revocation loads it from the stream before it reports ready', async () => {
    const sessionId = uniqueName('s');
    const p0 = await service.tokens.issue(sessionId, 'u2', ctx);
    const p1 = await service.tokens.refresh(p0.refreshToken, ctx);
    await service.tokens.refresh(p1.refreshToken, ctx);
    expect(await codeOf(service.tokens.refresh(p0.refreshToken, ctx))).toBe(ErrorCodes.TOKEN_REUSED);
    const late = await gatewayCache();
    await eventually(() => (late.ready ? true : undefined), 5000, 'late cache ready');
    expect(late.isRevoked({ jti: `${familyOf(p0.accessToken)}.0` })).toBe(true);
    expect(late.isRevoked({ jti: `${familyOf(p0.accessToken)}.2` })).toBe(true);
  });

  it('verification at the gateway refuses tokens signed by an unknown key until the JWKS names it', async () => {
    const cache = await gatewayCache();
    const jwks = new JwksCache(() => service.keys.jwks(), systemClock, 60_000, 0);
    const verifier = new AccessTokenVerifier(jwks, (c) => cache.isRevoked(c), systemClock, service.config.token);
    await jwks.current();
    // A second key made now (activation delay 0 in this harness) signs at once; the cached JWKS does not know it.
    const old = service.keys.ring().current?.kid;
    await service.pool.query(`UPDATE token_signing_keys SET created_at = now() - interval '30 days'`);
    expect(await service.keys.rotateIfDue()).toBeDefined();
    await service.keys.load();
    expect(service.keys.ring().current?.kid).not.toBe(old);
    const pair = await service.tokens.issue(uniqueName('s'), 'u3', ctx);
    // Unknown kid → the verifier refetches the JWKS once and succeeds.
    expect((await verifier.verify(pair.accessToken)).sub).toBe('u3');
    expect((await jwks.jwks()).keys.map((k) => k.kid)).toContain(service.keys.ring().current?.kid);
  });
});

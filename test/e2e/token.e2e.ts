import { ForesightClient, TokenRevokedError, type TokenEvent } from '@foresight/client';
import type { TokenPair } from '@foresight/contracts';
import { eventually } from '@foresight/testing';
import { generateKeyPair, SignJWT } from 'jose';
import WebSocket from 'ws';
import type { LocalStack } from '../../scripts/local-stack';
import { startTestStack } from './support';

// Over 300 lines on purpose: every scenario shares one stack of processes, started once.

/** Short access tokens so a test rides through several expiries; the scheduler plans in 250-ms buckets. */
const TOKEN_ENV = {
  TOKEN_ACCESS_TTL_MS: '4000',
  // Every token as short, even if the service judged itself in a load peak: these tests ride expiries.
  TOKEN_MAX_ACCESS_TTL_MS: '4000',
  TOKEN_REFRESH_THRESHOLD_MS: '3000',
  TOKEN_REFRESH_MIN_SKEW_MS: '1500',
  TOKEN_SCHEDULER_BUCKET_MS: '250',
  TOKEN_MAX_PULL_FORWARD_MS: '500',
  TOKEN_REFRESH_RATE_PER_IP: '1000',
  TOKEN_REFRESH_BURST_PER_IP: '2000',
};

interface Res<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}
type ErrorBody = { error?: { code?: string; message?: string; details?: unknown } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { sid: string; jti: string; exp: number; sub: string };
const headerOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()) as { kid: string; alg: string };
const codeOf = (r: Res) => (r.body as ErrorBody).error?.code;

describe('tokens end to end (gateway, metadata, shard, token service as processes)', () => {
  let stack: LocalStack;

  async function http<T = Record<string, unknown>>(
    method: string,
    path: string,
    opts: { apiKey?: boolean; bearer?: string; body?: unknown } = {},
  ): Promise<Res<T>> {
    const headers: Record<string, string> = {};
    if (opts.apiKey) headers['x-api-key'] = stack.apiKey;
    if (opts.bearer !== undefined) headers.authorization = `Bearer ${opts.bearer}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`${stack.gatewayUrl}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  async function signedInSession(userId = 'rider'): Promise<{ id: string; pair: TokenPair }> {
    const created = await http<{ id: string }>('POST', '/v1/sessions', { apiKey: true, body: { userId } });
    expect(created.status).toBe(201);
    const issued = await http<TokenPair>('POST', `/v1/sessions/${created.body.id}/tokens`, { apiKey: true, body: {} });
    expect(issued.status).toBe(201);
    return { id: created.body.id, pair: issued.body };
  }

  function openSocket(sessionId: string, accessToken: string, onMessage: (m: Record<string, unknown>, ws: WebSocket) => void): Promise<WebSocket> {
    const ws = new WebSocket(`${stack.gatewayUrl.replace(/^http/, 'ws')}/v1/sessions/${sessionId}/tokens/ws?access_token=${encodeURIComponent(accessToken)}`);
    ws.on('message', (data) => onMessage(JSON.parse(String(data)) as Record<string, unknown>, ws));
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }

  /**
   * A front end with @foresight/client's session client: its token manager hands out the active
   * token, keeps the pair the gateway pushes over the WebSocket (acknowledged), and switches before
   * the active one expires; a refresh on the request path happens only if no pushed pair arrived in
   * time (counted as `fallbacks`). `dropEveryMs` drops the WebSocket now and then, as a network would.
   */
  function ride(sessionId: string, first: TokenPair, options: { dropEveryMs?: number } = {}) {
    const session = ForesightClient.forSession({ baseUrl: stack.gatewayUrl, sessionId, tokens: first, agent: false });
    const tokens = session.tokens!;
    const statuses: number[] = [];
    const failures: unknown[] = [];
    const usedJtis = new Set<string>();
    const owners: { at: number; jti: string; nodeId: string }[] = [];
    let running = true;
    const dropper = options.dropEveryMs ? setInterval(() => session.push?.drop(), options.dropEveryMs) : undefined;
    const loop = (async () => {
      for (let i = 0; running; i++) {
        try {
          if (i % 2 === 0) await session.set('cart', 'n', i);
          else owners.push({ at: Date.now(), jti: claimsOf(tokens.current.accessToken).jti, nodeId: (await session.get({ groups: ['cart'] })).owner.nodeId });
          statuses.push(200);
        } catch (error) {
          statuses.push((error as { status?: number }).status ?? 0);
          failures.push(error);
        }
        usedJtis.add(claimsOf(tokens.current.accessToken).jti);
        await sleep(100);
      }
    })();
    return {
      session,
      async stop() {
        running = false;
        if (dropper) clearInterval(dropper);
        await loop;
        session.close();
        const { pushed, refreshes } = tokens.stats;
        return { statuses, failures, usedJtis, owners, pushes: pushed, fallbacks: refreshes, active: tokens.current };
      },
    };
  }

  beforeAll(async () => {
    stack = await startTestStack('tokens', { shardNodes: 1, extraServices: ['token'], env: TOKEN_ENV });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('serves the JWKS publicly: Ed25519 public keys only', async () => {
    const r = await http<{ keys: Record<string, unknown>[] }>('GET', '/v1/.well-known/jwks.json');
    expect(r.status).toBe(200);
    expect(r.body.keys.length).toBeGreaterThan(0);
    for (const k of r.body.keys) {
      expect(k).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      expect(k).not.toHaveProperty('d');
    }
  });

  it('the SDK rides through several access-token expiries and WebSocket drops without a single 401', async () => {
    const { id, pair } = await signedInSession();
    const rider = ride(id, pair, { dropEveryMs: 5000 });
    await sleep(15_000);
    const result = await rider.stop();
    process.stderr.write(
      `rider: ${result.statuses.length} requests, ${result.usedJtis.size} access tokens, ${result.pushes} pushes, ${result.fallbacks} on-request refreshes\n`,
    );
    expect(result.failures).toEqual([]);
    expect(result.fallbacks).toBe(0);
    // 15 s with tokens of at most 4 s: at least three expiries ridden through pushed pairs.
    expect(result.usedJtis.size).toBeGreaterThanOrEqual(4);
    expect(result.pushes).toBeGreaterThanOrEqual(3);
    // The gateway counts the pushed pairs its clients acknowledged (the operators' dashboard charts them).
    await eventually(
      async () => {
        const metrics = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
        const acked = Number(/^foresight_gateway_token_acks_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0);
        return acked >= 3 ? acked : undefined;
      },
      10_000,
      'the acknowledged pushes to be counted',
    );
  }, 60_000);

  it('the SDK refreshes an expired token once for many concurrent callers', async () => {
    const { id, pair } = await signedInSession('hana');
    const session = ForesightClient.forSession({ baseUrl: stack.gatewayUrl, sessionId: id, tokens: pair, push: false, agent: false });
    try {
      await session.set('cart', 'n', 0);
      await sleep(Math.max(0, Date.parse(pair.accessExpiresAt) - Date.now() - 500));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => session.set('cart', `c${i}`, i)));
      expect(results).toHaveLength(20);
      expect(session.tokens!.stats.refreshes).toBe(1);
      // Generation 1: the refresh's own pair, or the one the scheduler had pre-minted (the grace answer).
      expect(session.tokens!.current.generation).toBe(1);
    } finally {
      session.close();
    }
  }, 30_000);

  it('the SDK surfaces a revoked family as one TokenRevokedError, for every call after it', async () => {
    const { id, pair } = await signedInSession('gina');
    const events: TokenEvent['type'][] = [];
    const session = ForesightClient.forSession({ baseUrl: stack.gatewayUrl, sessionId: id, tokens: pair, agent: false });
    session.tokens!.on((e) => events.push(e.type));
    try {
      await session.set('cart', 'n', 1);
      // The back end logs the user out everywhere (API key): the WebSocket, or the next request, tells the client.
      expect((await http('DELETE', `/v1/sessions/${id}/tokens`, { apiKey: true })).status).toBe(200);
      await eventually(
        async () => {
          await session.get().catch(() => undefined);
          return session.tokens!.error ? true : undefined;
        },
        5000,
        'the client learns of the revocation',
      );
      const errors = await Promise.all(
        [session.get(), session.set('cart', 'n', 2), session.getWithPrediction('product:1')].map((p) => p.catch((e: unknown) => e)),
      );
      for (const e of errors) expect(e).toBeInstanceOf(TokenRevokedError);
      expect(new Set(errors).size).toBe(1);
      expect(events.filter((t) => t === 'revoked')).toHaveLength(1);
    } finally {
      session.close();
    }
  }, 30_000);

  it('resumes after a reconnect: the pair pushed before the drop is pushed again', async () => {
    const { id, pair } = await signedInSession();
    // Keep the session active, so the scheduler pre-mints its next pair.
    const keepBusy = (async () => {
      for (let i = 0; i < 40; i++) {
        await http('PUT', `/v1/sessions/${id}/vars/cart/n`, { bearer: pair.accessToken, body: { value: i } });
        await sleep(75);
      }
    })();
    const first = await new Promise<TokenPair>((resolve, reject) => {
      void openSocket(id, pair.accessToken, (m, ws) => {
        if (m.type === 'tokens') {
          ws.close(); // dropped before acknowledging
          resolve(m.pair as TokenPair);
        }
      }).catch(reject);
    });
    const again = await new Promise<TokenPair>((resolve, reject) => {
      void openSocket(id, pair.accessToken, (m, ws) => {
        if (m.type === 'tokens') {
          ws.send(JSON.stringify({ type: 'ack', generation: (m.pair as TokenPair).generation }));
          ws.close();
          resolve(m.pair as TokenPair);
        }
      }).catch(reject);
    });
    // Both tokens are valid in the overlap.
    expect((await http('GET', `/v1/sessions/${id}?groups=cart`, { bearer: first.accessToken })).status).toBe(200);
    await keepBusy;
    expect(again).toEqual(first);
    expect(first.generation).toBe(1);
  }, 30_000);

  it('refuses bad access tokens with 401 and a code, another session’s token with 403, and leaks no detail', async () => {
    const a = await signedInSession('alice');
    const b = await signedInSession('bob');
    const kid = headerOf(a.pair.accessToken).kid;
    const [, payload] = a.pair.accessToken.split('.');
    const forger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const sign = (header: Record<string, unknown>) =>
      new SignJWT({ sid: a.id })
        .setProtectedHeader({ alg: 'EdDSA', ...header })
        .setSubject('alice')
        .setJti('x.0')
        .setIssuedAt()
        .setExpirationTime('1h')
        .setIssuer('foresight')
        .setAudience('foresight-api')
        .sign(forger.privateKey);
    const cases: [string, string, number, string][] = [
      ['malformed', 'not-a-jwt', 401, 'TOKEN.MALFORMED'],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`, 401, 'TOKEN.UNSUPPORTED_ALG'],
      ['HS256 with the public key as secret', `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${payload}.c2lnbmF0dXJl`, 401, 'TOKEN.UNSUPPORTED_ALG'],
      ['wrong signature under a trusted kid', await sign({ kid }), 401, 'TOKEN.BAD_SIGNATURE'],
      [
        'tampered payload',
        `${a.pair.accessToken.split('.')[0]}.${b64({ ...claimsOf(a.pair.accessToken), sub: 'mallory' })}.${a.pair.accessToken.split('.')[2]}`,
        401,
        'TOKEN.BAD_SIGNATURE',
      ],
      ['unknown key', await sign({ kid: 'k-unknown' }), 401, 'TOKEN.UNKNOWN_KEY'],
      ["another session's token", b.pair.accessToken, 403, 'AUTH.FORBIDDEN'],
    ];
    for (const [what, token, status, code] of cases) {
      const r = await http('GET', `/v1/sessions/${a.id}`, { bearer: token });
      expect({ what, status: r.status, code: codeOf(r) }).toEqual({ what, status, code });
      const error = (r.body as ErrorBody).error!;
      expect(error.details).toBeUndefined();
      expect(error.message).not.toContain(kid);
    }
    expect(codeOf(await http('GET', `/v1/sessions/${a.id}`))).toBe('AUTH.UNAUTHENTICATED');
    // A session token cannot create sessions or mint tokens: those need the back end's API key.
    expect((await http('POST', '/v1/sessions', { bearer: a.pair.accessToken, body: {} })).status).toBe(403);
    expect((await http('POST', `/v1/sessions/${a.id}/tokens`, { bearer: a.pair.accessToken, body: {} })).status).toBe(401);
    // Its own session works, and the expired token is refused once it has expired.
    expect((await http('GET', `/v1/sessions/${a.id}`, { bearer: a.pair.accessToken })).status).toBe(200);
    await sleep(Math.max(0, Date.parse(a.pair.accessExpiresAt) - Date.now() + 100));
    const expired = await http('GET', `/v1/sessions/${a.id}`, { bearer: a.pair.accessToken });
    expect({ status: expired.status, code: codeOf(expired) }).toEqual({ status: 401, code: 'TOKEN.EXPIRED' });
  }, 30_000);

  it('refresh: rotation, a racing duplicate gets the same pair, a replayed token revokes the family everywhere', async () => {
    const { id, pair } = await signedInSession('carol');
    const [r1, dup] = await Promise.all([
      http<TokenPair>('POST', '/v1/tokens/refresh', { body: { refreshToken: pair.refreshToken } }),
      http<TokenPair>('POST', '/v1/tokens/refresh', { body: { refreshToken: pair.refreshToken } }),
    ]);
    expect([r1.status, dup.status]).toEqual([200, 200]);
    expect(dup.body).toEqual(r1.body);
    const r2 = await http<TokenPair>('POST', '/v1/tokens/refresh', { body: { refreshToken: r1.body.refreshToken } });
    expect(r2.body.generation).toBe(2);
    const replay = await http('POST', '/v1/tokens/refresh', { body: { refreshToken: pair.refreshToken } });
    expect({ status: replay.status, code: codeOf(replay) }).toEqual({ status: 401, code: 'TOKEN.REUSED' });
    const after = await http('POST', '/v1/tokens/refresh', { body: { refreshToken: r2.body.refreshToken } });
    expect({ status: after.status, code: codeOf(after) }).toEqual({ status: 401, code: 'TOKEN.REVOKED' });
    const denied = await eventually(
      async () => {
        const r = await http('GET', `/v1/sessions/${id}`, { bearer: r2.body.accessToken });
        return r.status === 401 ? r : undefined;
      },
      2000,
      'revoked access token refused',
    );
    expect(codeOf(denied)).toBe('TOKEN.REVOKED');
    const unknown = await http('POST', '/v1/tokens/refresh', { body: { refreshToken: 'A'.repeat(43) } });
    expect({ status: unknown.status, code: codeOf(unknown) }).toEqual({ status: 401, code: 'TOKEN.UNKNOWN' });
    expect(codeOf(await http('POST', '/v1/tokens/refresh', { body: { refreshToken: 42 } }))).toBe('REQUEST.INVALID');
  });

  it('rate-limits refreshes of one token', async () => {
    const token = 'B'.repeat(43);
    const codes = [];
    for (let i = 0; i < 15; i++) codes.push(codeOf(await http('POST', '/v1/tokens/refresh', { body: { refreshToken: token } })));
    expect(codes.slice(0, 10).every((c) => c === 'TOKEN.UNKNOWN')).toBe(true);
    expect(codes).toContain('REQUEST.RATE_LIMITED');
  });

  it('ending the session revokes its tokens; logging out with a token revokes its family', async () => {
    const one = await signedInSession('dave');
    expect((await http('DELETE', `/v1/sessions/${one.id}`, { apiKey: true })).status).toBe(200);
    const r = await eventually(
      async () => {
        const res = await http('GET', `/v1/sessions/${one.id}`, { bearer: one.pair.accessToken });
        return res.status === 401 ? res : undefined;
      },
      3000,
      'token refused after session end',
    );
    expect(codeOf(r)).toBe('TOKEN.REVOKED');

    const two = await signedInSession('erin');
    expect((await http<{ revoked: number }>('DELETE', `/v1/sessions/${two.id}/tokens`, { bearer: two.pair.accessToken })).body).toEqual({ revoked: 1 });
    const refresh = await http('POST', '/v1/tokens/refresh', { body: { refreshToken: two.pair.refreshToken } });
    expect(codeOf(refresh)).toBe('TOKEN.REVOKED');
  });

  it('handover: tokens keep working while sessions move to a new node and their owner is killed', async () => {
    const riders = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const { id, pair } = await signedInSession('frank');
        return ride(id, pair);
      }),
    );
    await sleep(1500);
    await stack.startService('shard', 'shard-2');
    await stack.waitForAssignment(['shard-1', 'shard-2']);
    await sleep(1000);
    await stack.kill('shard-1', 'SIGKILL');
    await stack.waitForAssignment(['shard-2'], { exact: true });
    await sleep(1500);
    const results = await Promise.all(riders.map((r) => r.stop()));
    expect(results.flatMap((r) => r.failures)).toEqual([]);
    expect(results.reduce((n, r) => n + r.fallbacks, 0)).toBe(0);
    // Every session started on shard-1 (the only node then) and ended on shard-2, with tokens in use
    // throughout and not one failure: the move was invisible to token holders.
    for (const r of results) {
      expect(r.owners[0]?.nodeId).toBe('shard-1');
      expect(r.owners.at(-1)?.nodeId).toBe('shard-2');
    }
    const spanned = results.flatMap((r) =>
      [...new Set(r.owners.map((o) => o.jti))].filter((jti) => new Set(r.owners.filter((o) => o.jti === jti).map((o) => o.nodeId)).size > 1),
    );
    // Whether one access token was also used on both sides depends on when it rotated: reported, not asserted.
    process.stderr.write(`handover: ${spanned.length} access tokens used before and after their session moved\n`);
  }, 120_000);
});

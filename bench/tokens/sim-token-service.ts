import {
  evolve,
  handleRefresh,
  hashRefreshToken,
  issueFamily,
  signAccessToken,
  verifyAccessToken,
  type KeyRing,
  type RandomBytes,
  type RefreshFamily,
  type TokenErrorCode,
  type VerifyResult,
} from '@foresight/token-core';

/** The pair a client holds. */
export interface TokenPair {
  readonly accessToken: string;
  /** Access-token expiry, epoch ms (from the signed `exp`). */
  readonly accessExpiresAt: number;
  readonly refreshToken: string;
}

export interface SimServiceOptions {
  readonly ring: KeyRing;
  readonly accessTtlMs: number;
  readonly refreshTtlMs: number;
  readonly graceMs: number;
  readonly randomBytes: RandomBytes;
}

export type RefreshResult =
  { readonly kind: 'rotated' | 'returned-current'; readonly pair: TokenPair } | { readonly kind: 'rejected'; readonly code: TokenErrorCode };

const ISSUER = 'foresight';
const AUDIENCE = 'foresight-api';

/**
 * The token service of the simulation: an in-memory stand-in for the Postgres-backed service,
 * running the real token-core code (family state machine, opaque tokens, EdDSA signing and
 * verification). Calls are serialised by the event loop, which plays the role of the row lock.
 */
export class SimTokenService {
  private readonly families = new Map<string, RefreshFamily>();
  private readonly familyByHash = new Map<string, string>();
  /** The pair issued for each family's current generation: what a grace hit returns. */
  private readonly currentPair = new Map<string, TokenPair>();
  private jtiCounter = 0;
  /** Times (ms) of every rotation (a minted pair), by session id. */
  readonly mints = new Map<string, number[]>();
  refreshCalls = 0;
  reuseRevocations = 0;

  constructor(private readonly opts: SimServiceOptions) {}

  /** Sign-in at the session's first request (not a refresh). */
  async signIn(sessionId: string, now: number, accessTtlMs = this.opts.accessTtlMs): Promise<TokenPair> {
    const issued = issueFamily(
      { familyId: sessionId, userId: `user-${sessionId}`, sessionId, maxLifetimeMs: this.opts.refreshTtlMs },
      { now, randomBytes: this.opts.randomBytes, refreshTtlMs: this.opts.refreshTtlMs },
    );
    this.families.set(sessionId, issued.family);
    this.familyByHash.set(issued.family.current.hash, sessionId);
    return this.storePair(issued.family, issued.refreshToken, now, accessTtlMs);
  }

  /** A refresh request with the client's refresh token. */
  async refresh(refreshToken: string, now: number, accessTtlMs = this.opts.accessTtlMs): Promise<RefreshResult> {
    this.refreshCalls++;
    const familyId = this.familyByHash.get(hashRefreshToken(refreshToken));
    const family = familyId === undefined ? undefined : this.families.get(familyId);
    const out = handleRefresh(family, refreshToken, {
      now,
      randomBytes: this.opts.randomBytes,
      refreshTtlMs: this.opts.refreshTtlMs,
      graceMs: this.opts.graceMs,
    });
    if (out.family) this.families.set(out.family.familyId, out.family);
    if (out.kind === 'rejected') {
      if (out.error.code === 'TOKEN.REUSED') this.reuseRevocations++;
      return { kind: 'rejected', code: out.error.code };
    }
    if (out.kind === 'returned-current') return { kind: out.kind, pair: this.currentPair.get(out.family.familyId)! };
    this.familyByHash.set(out.family.current.hash, out.family.familyId);
    const list = this.mints.get(out.family.sessionId) ?? [];
    list.push(now);
    this.mints.set(out.family.sessionId, list);
    return { kind: 'rotated', pair: await this.storePair(out.family, out.refreshToken, now, accessTtlMs) };
  }

  /** The server's idle timeout ended the session: revoke its family. */
  endSession(sessionId: string, now: number): void {
    const family = this.families.get(sessionId);
    if (family) this.families.set(sessionId, evolve(family, { type: 'FamilyRevoked', reason: 'session-ended', at: now }));
    this.currentPair.delete(sessionId);
  }

  /** Access-token expiry the server last issued to a session. */
  accessExpiry(sessionId: string): number | undefined {
    return this.currentPair.get(sessionId)?.accessExpiresAt;
  }

  /** Verifies an access token as the gateway would. */
  verify(accessToken: string, now: number): Promise<VerifyResult> {
    return verifyAccessToken(this.opts.ring, accessToken, { now, issuer: ISSUER, audience: AUDIENCE });
  }

  private async storePair(family: RefreshFamily, refreshToken: string, now: number, accessTtlMs: number): Promise<TokenPair> {
    const signed = await signAccessToken(this.opts.ring, {
      userId: family.userId,
      sessionId: family.sessionId,
      jti: `jti-${++this.jtiCounter}`,
      now,
      ttlMs: accessTtlMs,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const pair = { accessToken: signed.token, accessExpiresAt: signed.claims.exp * 1000, refreshToken };
    this.currentPair.set(family.familyId, pair);
    return pair;
  }
}

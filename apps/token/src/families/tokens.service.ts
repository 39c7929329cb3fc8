import {
  ForesightError,
  tokenErrorCode,
  type MessageContext,
  type TokenEvent,
  type TokenOrigin,
  type TokenPair,
  type TokenRevocationReason,
} from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import type { Clock } from '@foresight/time';
import {
  evolve,
  handleRefresh,
  hashRefreshToken,
  isTokenError,
  isWellFormedRefreshToken,
  issueFamily,
  renewOnUseWindowMs,
  rotateFamily,
  shouldRenewOnUse,
  signAccessToken,
  TokenError,
  type KeyRing,
  type RandomBytes,
  type RefreshFamily,
} from '@foresight/token-core';
import type { Pool, PoolClient } from 'pg';
import type { Sealer } from '../crypto/sealer';
import { pairEvent, revokedEvent } from '../events/token-events';
import type { TokenOutbox } from '../events/token-outbox';
import { FamiliesRepository, type FamilyExtras } from './families.repository';
import { graceMsFor, jtiOf, toFamily, type FamilyRow } from './family-row';
import { withTransaction } from './transaction';

export interface TokensServiceDeps {
  readonly pool: Pool;
  readonly keys: { ring(): KeyRing };
  readonly sealer: Sealer;
  readonly outbox: TokenOutbox;
  readonly clock: Clock;
  readonly randomBytes: RandomBytes;
  readonly newId: () => string;
  readonly config: ForesightConfig['token'];
  /** Tells the gateways holding the session's WebSocket that a pre-minted pair waits (metadata only). */
  readonly notify: (sessionId: string, familyId: string, generation: number) => void;
  /** The service's load: how long the next access token lives, and a count of what was minted. */
  readonly load?: { accessTtl(now: number): number; countMint(origin: TokenOrigin): void };
}

/** Tolerated difference between a gateway's clock and this instance's when judging renewal on use. */
const RENEW_CLOCK_SLACK_MS = 2000;

/** What a transaction decided: a pair to return, or a token error to throw after COMMIT. */
type Decided = { readonly pair: TokenPair; readonly events: TokenEvent[] } | { readonly error: TokenError; readonly events: TokenEvent[] };

function toForesight(error: TokenError): ForesightError {
  return new ForesightError(tokenErrorCode(error.code), error.message);
}

/**
 * Issues, refreshes, revokes and pre-mints token pairs on top of @foresight/token-core. Every
 * change of a family happens in one transaction holding the family's row lock
 * (`SELECT … FOR UPDATE`) and is written with the version it was decided on, so refreshes are
 * single-flight per family across any number of instances. Events are staged in the outbox in the
 * same transaction and published after COMMIT.
 */
export class TokensService {
  private readonly families = new FamiliesRepository();

  constructor(private readonly deps: TokensServiceDeps) {}

  /** Sign-in for a session: a new family, generation 0. */
  async issue(sessionId: string, userId: string, ctx: MessageContext): Promise<TokenPair> {
    const cfg = this.deps.config;
    const now = this.deps.clock.now();
    const issued = issueFamily(
      { familyId: this.deps.newId(), userId, sessionId, maxLifetimeMs: cfg.familyMaxLifetimeMs },
      { now, randomBytes: this.deps.randomBytes, refreshTtlMs: cfg.refreshTtlMs },
    );
    const { pair, event } = await this.mint(issued.family, issued.refreshToken, 'issue', now, ctx);
    await withTransaction(this.deps.pool, async (db) => {
      await this.families.insert(db, issued.family, { origin: 'issue', accessExpiresAt: Date.parse(pair.accessExpiresAt), deliveredAt: now, sealed: null });
      await this.families.insertToken(db, issued.family.familyId, issued.family.current.hash, 0, 'issue', now);
      await this.deps.outbox.stage(db, [event]);
    });
    await this.deps.outbox.publish([event]);
    return pair;
  }

  /**
   * Rotates the presented refresh token. The current token rotates once; the immediately previous
   * one within grace gets the same current pair back; an older one revokes the family.
   */
  async refresh(refreshToken: string, ctx: MessageContext): Promise<TokenPair> {
    if (!isWellFormedRefreshToken(refreshToken)) throw toForesight(new TokenError('TOKEN.MALFORMED'));
    const hash = hashRefreshToken(refreshToken);
    const ref = await this.families.findToken(this.deps.pool, hash);
    if (!ref) throw toForesight(new TokenError('TOKEN.UNKNOWN'));
    const decided = await withTransaction(this.deps.pool, async (db): Promise<Decided> => {
      const row = await this.families.lock(db, ref.familyId);
      const now = this.deps.clock.now();
      const family = row ? toFamily(row, { hash, generation: ref.generation }) : undefined;
      const outcome = handleRefresh(family, refreshToken, {
        now,
        randomBytes: this.deps.randomBytes,
        refreshTtlMs: this.deps.config.refreshTtlMs,
        graceMs: row ? graceMsFor(row, this.deps.config.graceMs) : this.deps.config.graceMs,
      });
      switch (outcome.kind) {
        case 'rotated':
          return this.persistRotation(db, row!, outcome.family, outcome.refreshToken, 'client', now, ctx);
        case 'returned-current':
          return this.sealedPair(db, row!, outcome.generation, now);
        case 'rejected': {
          const events: TokenEvent[] = [];
          if (outcome.events.length > 0 && outcome.family) {
            await this.families.update(db, outcome.family, row!.version, { ...this.extras(row!), sealed: null });
            events.push(revokedEvent(row!.session_id, row!.family_id, 'reuse-detected', now, ctx));
            await this.deps.outbox.stage(db, events);
          }
          return { error: outcome.error, events };
        }
      }
    });
    await this.deps.outbox.publish(decided.events);
    if ('error' in decided) throw toForesight(decided.error);
    return decided.pair;
  }

  /**
   * Mints the next pair ahead of the current access token's expiry, off the request path
   * (predictive refresh). Skips the family if it changed since it was planned, or if the last
   * pre-minted pair has not reached the client yet. Returns whether it rotated.
   */
  async rotateAhead(familyId: string, expectedGeneration: number, ctx: MessageContext): Promise<boolean> {
    const decided = await withTransaction(this.deps.pool, async (db) => {
      const row = await this.families.lock(db, familyId);
      const now = this.deps.clock.now();
      if (!row || row.status !== 'active' || row.current_generation !== expectedGeneration || row.delivered_at === null) return undefined;
      if (now >= row.current_expires_at.getTime()) return undefined;
      const rotated = rotateFamily(toFamily(row), { now, randomBytes: this.deps.randomBytes, refreshTtlMs: this.deps.config.refreshTtlMs });
      const result = await this.persistRotation(db, row, rotated.family, rotated.refreshToken, 'scheduled', now, ctx);
      return { ...result, sessionId: row.session_id, generation: rotated.generation };
    });
    if (!decided) return false;
    await this.deps.outbox.publish(decided.events);
    this.deps.notify(decided.sessionId, familyId, decided.generation);
    return true;
  }

  /**
   * Renewal on use: a gateway verified a request's access token of `generation` close to its
   * expiry. If the family's current access token is within the renewal window (by this
   * instance's clock, with a little slack for the gateway's), the next pair is minted ahead and
   * pushed as a scheduled one (`rotateAhead`: nothing happens if the family moved on, or if a
   * pre-minted pair has not reached the client yet). Returns whether it rotated.
   */
  async renewOnUse(sessionId: string, familyId: string, generation: number, ctx: MessageContext): Promise<boolean> {
    const row = await this.families.get(this.deps.pool, familyId);
    if (!row || row.session_id !== sessionId || row.status !== 'active' || row.current_generation !== generation) return false;
    const c = this.deps.config;
    const windowMs = renewOnUseWindowMs({ minSkewMs: c.refreshMinSkewMs, bucketMs: c.schedulerBucketMs }) + RENEW_CLOCK_SLACK_MS;
    if (!shouldRenewOnUse(row.access_expires_at.getTime(), this.deps.clock.now(), windowMs)) return false;
    return this.rotateAhead(familyId, generation, ctx);
  }

  /** Revokes one family of the session, or all of them. Returns how many were active. */
  async revoke(sessionId: string, familyId: string | undefined, reason: TokenRevocationReason, ctx: MessageContext): Promise<number> {
    const { count, events } = await withTransaction(this.deps.pool, async (db) => {
      const rows = await this.families.lockActiveOfSession(db, sessionId, familyId);
      const now = this.deps.clock.now();
      const staged: TokenEvent[] = [];
      for (const row of rows) {
        const revoked = evolve(toFamily(row), { type: 'FamilyRevoked', reason, at: now });
        await this.families.update(db, revoked, row.version, { ...this.extras(row), sealed: null });
        staged.push(revokedEvent(sessionId, row.family_id, reason, now, ctx));
      }
      await this.deps.outbox.stage(db, staged);
      return { count: rows.length, events: staged };
    });
    await this.deps.outbox.publish(events);
    return count;
  }

  /**
   * The family's current pair when the caller holds an older generation and the pair is still
   * sealed (pre-minted and waiting, or within grace): how a reconnecting WebSocket resumes. A caller
   * already holding the current generation confirms delivery instead.
   */
  async pending(sessionId: string, familyId: string, haveGeneration: number): Promise<TokenPair | null> {
    const row = await this.families.get(this.deps.pool, familyId);
    const now = this.deps.clock.now();
    if (!row || row.session_id !== sessionId || row.status !== 'active') return null;
    if (haveGeneration >= row.current_generation) {
      if (haveGeneration === row.current_generation) await this.ack(sessionId, familyId, haveGeneration);
      return null;
    }
    if (row.sealed_pair === null || row.sealed_generation !== row.current_generation || (row.sealed_until?.getTime() ?? 0) <= now) return null;
    return this.openPair(row);
  }

  /** The client holds `generation`: the previous refresh token's grace runs from now. */
  async ack(sessionId: string, familyId: string, generation: number): Promise<boolean> {
    const row = await this.families.get(this.deps.pool, familyId);
    if (!row || row.session_id !== sessionId) return false;
    const now = this.deps.clock.now();
    return this.families.markDelivered(this.deps.pool, familyId, generation, now, now + this.deps.config.graceMs);
  }

  private extras(row: FamilyRow): FamilyExtras {
    return {
      origin: row.current_origin,
      accessExpiresAt: row.access_expires_at.getTime(),
      deliveredAt: row.delivered_at?.getTime() ?? null,
      sealed:
        row.sealed_pair && row.sealed_generation !== null && row.sealed_until
          ? { pair: row.sealed_pair, generation: row.sealed_generation, until: row.sealed_until.getTime() }
          : null,
    };
  }

  /** Signs the access token of `family`'s current generation and builds the pair and its event. */
  private async mint(family: RefreshFamily, refreshToken: string, origin: TokenOrigin, now: number, ctx: MessageContext) {
    const cfg = this.deps.config;
    const generation = family.current.generation;
    const jti = jtiOf(family.familyId, generation);
    let signed;
    try {
      signed = await signAccessToken(this.deps.keys.ring(), {
        userId: family.userId,
        sessionId: family.sessionId,
        jti,
        now,
        ttlMs: this.deps.load?.accessTtl(now) ?? cfg.accessTtlMs,
        issuer: cfg.issuer,
        audience: cfg.audience,
      });
    } catch (error) {
      throw isTokenError(error) ? toForesight(error) : error;
    }
    this.deps.load?.countMint(origin);
    const accessExpiresAt = signed.claims.exp * 1000;
    const pair: TokenPair = {
      tokenType: 'Bearer',
      accessToken: signed.token,
      accessExpiresAt: new Date(accessExpiresAt).toISOString(),
      refreshToken,
      refreshExpiresAt: new Date(family.current.expiresAt).toISOString(),
      generation,
    };
    const facts = {
      familyId: family.familyId,
      sessionId: family.sessionId,
      userId: family.userId,
      generation,
      jti,
      accessExpiresAt,
      refreshExpiresAt: family.current.expiresAt,
    };
    return { pair, event: pairEvent(origin, facts, now, ctx) };
  }

  /**
   * Writes a rotation decided under the row lock: the new state, the new token's hash, the pair
   * sealed (for grace hits, or until a pre-minted pair is delivered) and the event.
   */
  private async persistRotation(
    db: PoolClient,
    row: FamilyRow,
    next: RefreshFamily,
    refreshToken: string,
    origin: 'client' | 'scheduled',
    now: number,
    ctx: MessageContext,
  ) {
    const { pair, event } = await this.mint(next, refreshToken, origin, now, ctx);
    const generation = next.current.generation;
    const sealed = {
      pair: this.deps.sealer.seal('token-pair', Buffer.from(JSON.stringify(pair)), `${next.familyId}:${generation}`),
      generation,
      until: origin === 'client' ? now + this.deps.config.graceMs : next.current.expiresAt,
    };
    await this.families.update(db, next, row.version, {
      origin,
      accessExpiresAt: Date.parse(pair.accessExpiresAt),
      deliveredAt: origin === 'client' ? now : null,
      sealed,
    });
    await this.families.insertToken(db, next.familyId, next.current.hash, generation, origin, now);
    await this.deps.outbox.stage(db, [event]);
    return { pair, events: [event] as TokenEvent[] };
  }

  /** The sealed pair of the current generation, for a caller within grace; the caller now holds it. */
  private async sealedPair(db: PoolClient, row: FamilyRow, generation: number, now: number): Promise<Decided> {
    if (row.sealed_pair === null || row.sealed_generation !== generation) {
      // Only reachable if the sealed copy was cleared early; the caller signs in again.
      return { error: new TokenError('TOKEN.UNKNOWN', 'sealed pair missing within grace'), events: [] };
    }
    if (row.delivered_at === null) await this.families.markDelivered(db, row.family_id, generation, now, now + this.deps.config.graceMs);
    return { pair: this.openPair(row), events: [] };
  }

  private openPair(row: FamilyRow): TokenPair {
    const json = this.deps.sealer.open('token-pair', row.sealed_pair!, `${row.family_id}:${row.sealed_generation}`);
    return JSON.parse(json.toString('utf8')) as TokenPair;
  }
}

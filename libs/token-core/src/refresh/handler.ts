import { TokenError } from '../errors';
import type { RandomBytes } from '../random';
import { decideRefresh, DEFAULT_REFRESH_GRACE_MS } from './decide';
import { evolve, type RefreshFamily, type RefreshFamilyEvent } from './family';
import { hashRefreshToken, isWellFormedRefreshToken, mintRefreshToken } from './opaque-token';

/** Lifetimes and injected dependencies for issuing and rotating refresh tokens. */
export interface RefreshContext {
  readonly now: number;
  readonly randomBytes: RandomBytes;
  /** Lifetime of each refresh token (sliding), e.g. 14 days. */
  readonly refreshTtlMs: number;
  /** Grace for the immediately previous token; default 30 s. */
  readonly graceMs?: number;
}

/** Result of a sign-in: a new family and its first refresh token (plaintext, to send once). */
export interface IssuedFamily {
  readonly family: RefreshFamily;
  readonly refreshToken: string;
  readonly events: readonly RefreshFamilyEvent[];
}

/** Starts a family at sign-in. */
export function issueFamily(
  input: { readonly familyId: string; readonly userId: string; readonly sessionId: string; readonly maxLifetimeMs: number },
  ctx: RefreshContext,
): IssuedFamily {
  const minted = mintRefreshToken(ctx.randomBytes);
  const absoluteExpiresAt = ctx.now + input.maxLifetimeMs;
  const event: RefreshFamilyEvent = {
    type: 'FamilyIssued',
    familyId: input.familyId,
    userId: input.userId,
    sessionId: input.sessionId,
    token: { hash: minted.hash, generation: 0, issuedAt: ctx.now, expiresAt: Math.min(ctx.now + ctx.refreshTtlMs, absoluteExpiresAt) },
    absoluteExpiresAt,
    at: ctx.now,
  };
  return { family: evolve(undefined, event), refreshToken: minted.token, events: [event] };
}

/** A family moved to its next generation: the new state, the new token (plaintext, to send once) and the event. */
export interface RotatedFamily {
  readonly family: RefreshFamily;
  readonly refreshToken: string;
  readonly generation: number;
  readonly event: RefreshFamilyEvent;
}

/**
 * Rotates `family` from its current generation: mints the next refresh token (sliding lifetime,
 * never past the family's absolute expiry) and applies the `TokenRotated` event. Used when a
 * client presents the current token and when the service pre-mints ahead of expiry.
 */
export function rotateFamily(family: RefreshFamily, ctx: RefreshContext): RotatedFamily {
  const minted = mintRefreshToken(ctx.randomBytes);
  const event: RefreshFamilyEvent = {
    type: 'TokenRotated',
    fromGeneration: family.current.generation,
    next: {
      hash: minted.hash,
      generation: family.current.generation + 1,
      issuedAt: ctx.now,
      expiresAt: Math.min(ctx.now + ctx.refreshTtlMs, family.absoluteExpiresAt),
    },
    at: ctx.now,
  };
  const next = evolve(family, event);
  return { family: next, refreshToken: minted.token, generation: next.current.generation, event };
}

/** Outcome of {@link handleRefresh}. Persist `events` (if any) with the family's expected version. */
export type RefreshOutcome =
  | {
      readonly kind: 'rotated';
      readonly family: RefreshFamily;
      readonly refreshToken: string;
      readonly generation: number;
      readonly events: readonly RefreshFamilyEvent[];
    }
  /** Hand back the pair issued for `generation` (the service keeps it sealed for the grace window). */
  | { readonly kind: 'returned-current'; readonly family: RefreshFamily; readonly generation: number; readonly events: readonly [] }
  | { readonly kind: 'rejected'; readonly family: RefreshFamily | undefined; readonly error: TokenError; readonly events: readonly RefreshFamilyEvent[] };

/**
 * Handles one refresh request against the family that holds the presented token: decides,
 * mints (rotation only), and returns the events and the new state. Deterministic given the
 * injected clock and random source. Reuse revokes the family (event `FamilyRevoked`).
 */
export function handleRefresh(family: RefreshFamily | undefined, presentedToken: string, ctx: RefreshContext): RefreshOutcome {
  if (!isWellFormedRefreshToken(presentedToken)) {
    return { kind: 'rejected', family, error: new TokenError('TOKEN.MALFORMED'), events: [] };
  }
  const decision = decideRefresh(family, hashRefreshToken(presentedToken), ctx.now, ctx.graceMs ?? DEFAULT_REFRESH_GRACE_MS);
  switch (decision.kind) {
    case 'rotate': {
      const rotated = rotateFamily(family!, ctx);
      return { kind: 'rotated', family: rotated.family, refreshToken: rotated.refreshToken, generation: rotated.generation, events: [rotated.event] };
    }
    case 'return-current':
      return { kind: 'returned-current', family: family!, generation: decision.generation, events: [] };
    case 'reuse-detected': {
      const event: RefreshFamilyEvent = { type: 'FamilyRevoked', reason: 'reuse-detected', at: ctx.now };
      return { kind: 'rejected', family: evolve(family, event), error: new TokenError('TOKEN.REUSED'), events: [event] };
    }
    case 'revoked':
      return { kind: 'rejected', family, error: new TokenError('TOKEN.REVOKED'), events: [] };
    case 'expired':
      return { kind: 'rejected', family, error: new TokenError('TOKEN.EXPIRED'), events: [] };
    case 'unknown':
      return { kind: 'rejected', family, error: new TokenError('TOKEN.UNKNOWN'), events: [] };
  }
}

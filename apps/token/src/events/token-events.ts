import type { MessageContext, TokenEvent, TokenIssuedV1, TokenOrigin, TokenRefreshedV1, TokenRevocationReason, TokenRevokedV1 } from '@foresight/contracts';
import { randomUUID } from 'node:crypto';

/** What every token event says about the pair it announces (metadata only, never a token). */
export interface PairFacts {
  readonly familyId: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly generation: number;
  readonly jti: string;
  readonly accessExpiresAt: number;
  readonly refreshExpiresAt: number;
}

const iso = (t: number) => new Date(t).toISOString();

function envelope<E extends TokenEvent>(type: E['type'], sessionId: string, at: number, ctx: MessageContext, data: E['data']): E {
  return { id: randomUUID(), type, version: 1, sessionId, occurredAt: iso(at), correlationId: ctx.correlationId, causationId: ctx.causationId, data } as E;
}

/** `token.issued` or `token.refreshed` for a newly minted pair. */
export function pairEvent(origin: TokenOrigin, p: PairFacts, at: number, ctx: MessageContext): TokenIssuedV1 | TokenRefreshedV1 {
  const common = {
    familyId: p.familyId,
    userId: p.userId,
    generation: p.generation,
    jti: p.jti,
    accessExpiresAt: iso(p.accessExpiresAt),
    refreshExpiresAt: iso(p.refreshExpiresAt),
  };
  return origin === 'issue'
    ? envelope<TokenIssuedV1>('token.issued', p.sessionId, at, ctx, common)
    : envelope<TokenRefreshedV1>('token.refreshed', p.sessionId, at, ctx, { ...common, origin });
}

export function revokedEvent(sessionId: string, familyId: string, reason: TokenRevocationReason, at: number, ctx: MessageContext): TokenRevokedV1 {
  return envelope<TokenRevokedV1>('token.revoked', sessionId, at, ctx, { familyId, reason, revokedAt: iso(at) });
}

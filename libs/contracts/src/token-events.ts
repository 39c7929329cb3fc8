import type { Envelope } from './envelope';

/** How the pair of a generation came to be. `scheduled`: minted ahead of expiry by the predictive refresh. */
export type TokenOrigin = 'issue' | 'client' | 'scheduled';

export type TokenRevocationReason = 'reuse-detected' | 'logout' | 'session-ended' | 'admin';

/**
 * Token events carry metadata only, never a token: the bus is shared by many services, and the
 * secrets travel to the client over its authenticated WebSocket or an HTTP reply.
 * Access-token ids are `<familyId>.<generation>`.
 */
export type TokenIssuedV1 = Envelope<
  'token.issued',
  1,
  {
    readonly familyId: string;
    readonly userId: string;
    readonly generation: number;
    readonly jti: string;
    readonly accessExpiresAt: string;
    readonly refreshExpiresAt: string;
  }
>;

export type TokenRefreshedV1 = Envelope<
  'token.refreshed',
  1,
  {
    readonly familyId: string;
    readonly userId: string;
    readonly generation: number;
    readonly jti: string;
    readonly accessExpiresAt: string;
    readonly refreshExpiresAt: string;
    readonly origin: Exclude<TokenOrigin, 'issue'>;
  }
>;

/**
 * A token family was revoked at `revokedAt` (one event per family, also when a whole session's
 * tokens are revoked). Gateways reject the family's access tokens (`jti` = `<familyId>.<n>`) at once.
 */
export type TokenRevokedV1 = Envelope<
  'token.revoked',
  1,
  {
    readonly familyId: string;
    readonly reason: TokenRevocationReason;
    readonly revokedAt: string;
  }
>;

export type TokenEvent = TokenIssuedV1 | TokenRefreshedV1 | TokenRevokedV1;
export type TokenEventType = TokenEvent['type'];
export const TOKEN_EVENT_TYPES: readonly TokenEventType[] = ['token.issued', 'token.refreshed', 'token.revoked'];

/** Body of the per-session notice (`tokenNotice(sessionId)`): a pair for `generation` waits in the token service. */
export interface TokenPendingNotice {
  readonly familyId: string;
  readonly generation: number;
}

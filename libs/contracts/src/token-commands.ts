import type { TokenRevocationReason } from './token-events';

/** What a client receives: an access JWT and a rotated opaque refresh token. Times are ISO-8601. */
export interface TokenPair {
  readonly tokenType: 'Bearer';
  readonly accessToken: string;
  readonly accessExpiresAt: string;
  readonly refreshToken: string;
  readonly refreshExpiresAt: string;
  /** Generation of the family this pair belongs to (0 at sign-in, +1 per rotation). */
  readonly generation: number;
}

/** Public JWK of an Ed25519 signing key. */
export interface PublicJwk {
  readonly kty: string;
  readonly crv?: string;
  readonly x?: string;
  readonly kid: string;
  readonly alg: string;
  readonly use: string;
}

/**
 * Requests to the token service, on `<ns>.rpc.token.<op>` with the op also in the `Fs-Op` header;
 * any instance answers (queue group `token`).
 */
export interface TokenCommands {
  issue: { readonly request: { readonly sessionId: string; readonly userId: string }; readonly reply: TokenPair };
  refresh: { readonly request: { readonly refreshToken: string }; readonly reply: TokenPair };
  /** Revokes one family, or every family of a session. */
  revoke: {
    readonly request: { readonly sessionId: string; readonly familyId?: string; readonly reason: TokenRevocationReason };
    readonly reply: { readonly revoked: number };
  };
  jwks: { readonly request: Record<string, never>; readonly reply: { readonly keys: readonly PublicJwk[] } };
  /**
   * The family's current pair if it is newer than `haveGeneration` and still held sealed (a
   * pre-minted pair waiting for delivery, or the last pair within its grace window); otherwise null.
   */
  pending: {
    readonly request: { readonly sessionId: string; readonly familyId: string; readonly haveGeneration: number };
    readonly reply: { readonly pair: TokenPair | null };
  };
  /** The client confirms it holds `generation`; the previous refresh token's grace then runs out normally. */
  ack: {
    readonly request: { readonly sessionId: string; readonly familyId: string; readonly generation: number };
    readonly reply: { readonly acknowledged: boolean };
  };
}

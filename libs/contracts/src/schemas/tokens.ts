import { Type, type Static } from '@sinclair/typebox';
import { ERROR_MESSAGE, FamilyId, Generation, Instant, SessionIdString, UserId } from './fields';

/** Longest refresh token accepted on the wire (real ones are 43 characters). */
export const MAX_REFRESH_TOKEN_LENGTH = 512;

const TokenUserId = Type.String({ ...UserId, description: "The signed-in user; defaults to the session's userId (they must match if both are set)" });
const RefreshToken = Type.String({
  minLength: 1,
  maxLength: MAX_REFRESH_TOKEN_LENGTH,
  description: 'The refresh token of the pair you hold (43 base64url characters)',
});

// ---- REST bodies ----

/** `POST /v1/sessions/:id/tokens`. */
export const IssueTokensBody = Type.Object({ userId: Type.Optional(TokenUserId) });

/** `POST /v1/tokens/refresh`. */
export const RefreshTokensBody = Type.Object({ refreshToken: RefreshToken });

// ---- Token service commands (NATS) ----

export const TokenIssueCommand = Type.Object({ sessionId: SessionIdString, userId: TokenUserId });
export const TokenRefreshCommand = Type.Object({ refreshToken: RefreshToken });
export const RevocationReasonSchema = Type.Union([Type.Literal('logout'), Type.Literal('session-ended'), Type.Literal('admin')], {
  [ERROR_MESSAGE]: 'one of logout, session-ended, admin',
});
export const TokenRevokeCommand = Type.Object({ sessionId: SessionIdString, familyId: Type.Optional(FamilyId), reason: RevocationReasonSchema });
export const TokenPendingCommand = Type.Object({ sessionId: SessionIdString, familyId: FamilyId, haveGeneration: Generation });
export const TokenAckCommand = Type.Object({ sessionId: SessionIdString, familyId: FamilyId, generation: Generation });
/** A request used the access token of `generation`, close to its expiry: mint the next pair off its path. */
export const TokenRenewCommand = Type.Object({ sessionId: SessionIdString, familyId: FamilyId, generation: Generation });

// ---- Replies ----

/** What a client receives: an access JWT and a rotated opaque refresh token. */
export const TokenPair = Type.Object({
  tokenType: Type.Literal('Bearer'),
  accessToken: Type.String({ description: 'EdDSA JWT: sub (user), sid (session), jti, iat, exp, iss, aud' }),
  accessExpiresAt: Instant,
  refreshToken: Type.String({ description: 'Opaque, single use: each refresh returns a new one' }),
  refreshExpiresAt: Instant,
  generation: Generation,
});

/** Public JWK of an Ed25519 signing key. */
export const PublicJwk = Type.Object({
  kty: Type.String(),
  crv: Type.Optional(Type.String()),
  x: Type.Optional(Type.String()),
  kid: Type.String(),
  alg: Type.String(),
  use: Type.String(),
});

export const Jwks = Type.Object({ keys: Type.Array(PublicJwk) });
export const RevokeReply = Type.Object({ revoked: Type.Integer({ minimum: 0, description: 'Families that were active and are now revoked' }) });
export const PendingReply = Type.Object({ pair: Type.Union([TokenPair, Type.Null()]) });
export const AckReply = Type.Object({ acknowledged: Type.Boolean() });
export const RenewReply = Type.Object({
  renewed: Type.Boolean({ description: 'A pair was minted and is pushed; false when not due, already renewed, or the family changed' }),
});

const Count = Type.Integer({ minimum: 0 });
/** One scheduler bucket of the answering instance's load. */
export const TokenLoadPoint = Type.Object({
  at: Type.Integer({ minimum: 0, description: 'Start of the bucket, epoch ms' }),
  utilisation: Type.Number({ minimum: 0, description: 'Measured: the larger of the CPU share of one core and the event-loop delay share' }),
  forecast: Type.Union([Type.Number(), Type.Null()], { description: 'The utilisation forecast for this bucket, made one bucket earlier' }),
  issued: Count,
  clientRefreshes: Count,
  scheduledRefreshes: Count,
  peak: Type.Boolean({ description: 'A peak was predicted at the end of the bucket: new access tokens lived longer' }),
});
/** The answering instance's token refreshes, load and load forecast, for the operator's dashboard. */
export const TokenStatsReply = Type.Object({
  bucketMs: Type.Integer({ minimum: 1 }),
  baseTtlMs: Type.Integer({ minimum: 1 }),
  maxTtlMs: Type.Integer({ minimum: 1 }),
  peakPredicted: Type.Boolean(),
  extendedTokens: Count,
  scheduler: Type.Object({ refreshed: Count, letExpire: Count }),
  points: Type.Array(TokenLoadPoint, { maxItems: 1000 }),
});

export type IssueTokensBody = Static<typeof IssueTokensBody>;
export type RefreshTokensBody = Static<typeof RefreshTokensBody>;
export type TokenPair = Static<typeof TokenPair>;
export type PublicJwk = Static<typeof PublicJwk>;
export type Jwks = Static<typeof Jwks>;
export type RevokeReply = Static<typeof RevokeReply>;
export type TokenLoadPoint = Static<typeof TokenLoadPoint>;
export type TokenStatsReply = Static<typeof TokenStatsReply>;

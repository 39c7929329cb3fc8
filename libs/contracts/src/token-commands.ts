import type { CommandTypes } from './shard-commands';
import { EmptyRequest } from './schemas/fields';
import {
  AckReply,
  Jwks,
  PendingReply,
  RenewReply,
  RevokeReply,
  TokenAckCommand,
  TokenIssueCommand,
  TokenPair,
  TokenPendingCommand,
  TokenRefreshCommand,
  TokenRenewCommand,
  TokenRevokeCommand,
  TokenStatsReply,
} from './schemas/tokens';

/**
 * Requests to the token service, on `<ns>.rpc.token.<op>` with the op also in the `Fs-Op` header;
 * any instance answers (queue group `token`).
 */
export const TokenCommandSchemas = {
  issue: { request: TokenIssueCommand, reply: TokenPair },
  refresh: { request: TokenRefreshCommand, reply: TokenPair },
  /** Revokes one family, or every family of a session. */
  revoke: { request: TokenRevokeCommand, reply: RevokeReply },
  jwks: { request: EmptyRequest, reply: Jwks },
  /**
   * The family's current pair if it is newer than `haveGeneration` and still held sealed (a
   * pre-minted pair waiting for delivery, or the last pair within its grace window); otherwise null.
   */
  pending: { request: TokenPendingCommand, reply: PendingReply },
  /** The client confirms it holds `generation`; the previous refresh token's grace then runs out normally. */
  ack: { request: TokenAckCommand, reply: AckReply },
  /**
   * Renewal on use: a gateway saw a request with this generation's access token close to its
   * expiry. The next pair is minted and pushed like a pre-minted one; the request does not wait.
   */
  renew: { request: TokenRenewCommand, reply: RenewReply },
  /** The answering instance's refreshes, measured load and load forecast per scheduler bucket (the dashboard's token panel). */
  stats: { request: EmptyRequest, reply: TokenStatsReply },
} as const;

export type TokenCommands = CommandTypes<typeof TokenCommandSchemas>;

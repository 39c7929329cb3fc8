import type { TokenOrigin } from '@foresight/contracts';
import type { RefreshFamily } from '@foresight/token-core';

/** A `token_families` row as pg returns it (timestamptz → Date). */
export interface FamilyRow {
  readonly family_id: string;
  readonly session_id: string;
  readonly user_id: string;
  readonly created_at: Date;
  readonly absolute_expires_at: Date;
  readonly version: number;
  readonly status: 'active' | 'revoked';
  readonly revoked_at: Date | null;
  readonly revoked_reason: string | null;
  readonly current_hash: string;
  readonly current_generation: number;
  readonly current_issued_at: Date;
  readonly current_expires_at: Date;
  readonly current_origin: TokenOrigin;
  readonly access_expires_at: Date;
  /** When the client was known to hold the current generation; null while a pre-minted pair awaits delivery. */
  readonly delivered_at: Date | null;
  readonly previous_hash: string | null;
  readonly previous_generation: number | null;
  readonly previous_issued_at: Date | null;
  readonly previous_expires_at: Date | null;
  readonly previous_rotated_at: Date | null;
  readonly sealed_pair: Buffer | null;
  readonly sealed_generation: number | null;
  readonly sealed_until: Date | null;
}

const ms = (d: Date): number => d.getTime();

/**
 * The token-core family for a row. Only the hash being presented matters for reuse detection, so
 * `retiredHashes` holds that hash when its stored generation is older than the previous one, and
 * nothing else: the row does not need every retired hash of the family.
 */
export function toFamily(row: FamilyRow, presented?: { readonly hash: string; readonly generation: number }): RefreshFamily {
  const retired = presented && row.previous_generation !== null && presented.generation < row.previous_generation ? [presented.hash] : [];
  return {
    familyId: row.family_id,
    userId: row.user_id,
    sessionId: row.session_id,
    createdAt: ms(row.created_at),
    absoluteExpiresAt: ms(row.absolute_expires_at),
    version: row.version,
    status: row.status,
    ...(row.revoked_at ? { revokedAt: ms(row.revoked_at), revokedReason: row.revoked_reason as RefreshFamily['revokedReason'] } : {}),
    current: { hash: row.current_hash, generation: row.current_generation, issuedAt: ms(row.current_issued_at), expiresAt: ms(row.current_expires_at) },
    ...(row.previous_hash !== null
      ? {
          previous: {
            hash: row.previous_hash,
            generation: row.previous_generation!,
            issuedAt: ms(row.previous_issued_at!),
            expiresAt: ms(row.previous_expires_at!),
            rotatedAt: ms(row.previous_rotated_at!),
          },
        }
      : {}),
    retiredHashes: retired,
  };
}

/**
 * Grace for the previous refresh token. A pair the client received in a reply (or acknowledged)
 * gets the normal grace from that moment. A pair minted ahead of expiry and not yet delivered has
 * no limit: until delivery the previous token is the client's only credential, and it can do no
 * more than fetch that same pair, so it is no stronger than before the rotation.
 */
export function graceMsFor(row: FamilyRow, graceMs: number): number {
  if (row.previous_rotated_at === null) return graceMs;
  if (row.delivered_at === null) return Number.POSITIVE_INFINITY;
  return Math.max(0, ms(row.delivered_at) - ms(row.previous_rotated_at)) + graceMs;
}

/** Access-token id of a generation: `<familyId>.<generation>`, so a gateway can revoke by family. */
export function jtiOf(familyId: string, generation: number): string {
  return `${familyId}.${generation}`;
}

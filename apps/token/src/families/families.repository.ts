import type { TokenOrigin } from '@foresight/contracts';
import { TokenError, type RefreshFamily } from '@foresight/token-core';
import type { Pool, PoolClient } from 'pg';
import type { FamilyRow } from './family-row';

type Db = Pool | PoolClient;

/** A sealed copy of the pair of one generation, kept until `until` (grace, or until delivery). */
export interface SealedPair {
  readonly pair: Buffer;
  readonly generation: number;
  readonly until: number;
}

/** What the row keeps beside the token-core family state. */
export interface FamilyExtras {
  readonly origin: TokenOrigin;
  readonly accessExpiresAt: number;
  readonly deliveredAt: number | null;
  readonly sealed: SealedPair | null;
}

const d = (t: number | null | undefined): Date | null => (t === null || t === undefined ? null : new Date(t));

/** Columns written from a family + extras, in the order of `$2…$21` below. */
function values(f: RefreshFamily, x: FamilyExtras): unknown[] {
  return [
    f.version,
    f.status,
    d(f.revokedAt),
    f.revokedReason ?? null,
    f.current.hash,
    f.current.generation,
    d(f.current.issuedAt),
    d(f.current.expiresAt),
    x.origin,
    d(x.accessExpiresAt),
    d(x.deliveredAt),
    f.previous?.hash ?? null,
    f.previous?.generation ?? null,
    d(f.previous?.issuedAt),
    d(f.previous?.expiresAt),
    d(f.previous?.rotatedAt),
    x.sealed?.pair ?? null,
    x.sealed?.generation ?? null,
    d(x.sealed?.until),
  ];
}

const COLUMNS = `version, status, revoked_at, revoked_reason, current_hash, current_generation, current_issued_at, current_expires_at,
  current_origin, access_expires_at, delivered_at, previous_hash, previous_generation, previous_issued_at, previous_expires_at,
  previous_rotated_at, sealed_pair, sealed_generation, sealed_until`;

/**
 * Raw SQL over `token_families` and `token_refresh_tokens`. Single flight: every change of a
 * family happens under its row lock (`lock…`), and is written with the version it was decided on.
 */
export class FamiliesRepository {
  /** The family and generation of a refresh token, by hash. */
  async findToken(db: Db, hash: string): Promise<{ familyId: string; generation: number } | undefined> {
    const r = await db.query<{ family_id: string; generation: number }>('SELECT family_id, generation FROM token_refresh_tokens WHERE hash = $1', [hash]);
    const row = r.rows[0];
    return row ? { familyId: row.family_id, generation: row.generation } : undefined;
  }

  /** Locks one family row until the transaction ends. */
  async lock(db: PoolClient, familyId: string): Promise<FamilyRow | undefined> {
    const r = await db.query<FamilyRow>('SELECT * FROM token_families WHERE family_id = $1 FOR UPDATE', [familyId]);
    return r.rows[0];
  }

  /** Locks the active families of a session (one, when `familyId` is given). */
  async lockActiveOfSession(db: PoolClient, sessionId: string, familyId?: string): Promise<FamilyRow[]> {
    const r = await db.query<FamilyRow>(
      `SELECT * FROM token_families WHERE session_id = $1 AND status = 'active' AND ($2::uuid IS NULL OR family_id = $2::uuid)
        ORDER BY family_id FOR UPDATE`,
      [sessionId, familyId ?? null],
    );
    return r.rows;
  }

  async get(db: Db, familyId: string): Promise<FamilyRow | undefined> {
    const r = await db.query<FamilyRow>('SELECT * FROM token_families WHERE family_id = $1', [familyId]);
    return r.rows[0];
  }

  async insert(db: PoolClient, f: RefreshFamily, x: FamilyExtras): Promise<void> {
    await db.query(
      `INSERT INTO token_families (family_id, session_id, user_id, created_at, absolute_expires_at, ${COLUMNS})
       VALUES ($1, $2, $3, $4, $5, ${Array.from({ length: 19 }, (_, i) => `$${i + 6}`).join(', ')})`,
      [f.familyId, f.sessionId, f.userId, d(f.createdAt), d(f.absoluteExpiresAt), ...values(f, x)],
    );
  }

  /** Writes the new state; `expectedVersion` is the version it was decided on (TOKEN.VERSION_CONFLICT otherwise). */
  async update(db: PoolClient, f: RefreshFamily, expectedVersion: number, x: FamilyExtras): Promise<void> {
    const sets = COLUMNS.split(',').map((c, i) => `${c.trim()} = $${i + 3}`);
    const r = await db.query(`UPDATE token_families SET ${sets.join(', ')} WHERE family_id = $1 AND version = $2`, [
      f.familyId,
      expectedVersion,
      ...values(f, x),
    ]);
    if (r.rowCount !== 1) throw new TokenError('TOKEN.VERSION_CONFLICT', `family ${f.familyId} is not at version ${expectedVersion}`);
  }

  /** The client now holds the current generation: keep its sealed pair only for the grace window. */
  async markDelivered(db: Db, familyId: string, generation: number, at: number, sealedUntil: number): Promise<boolean> {
    const r = await db.query(
      `UPDATE token_families SET delivered_at = $3, sealed_until = LEAST(sealed_until, $4)
        WHERE family_id = $1 AND current_generation = $2 AND delivered_at IS NULL`,
      [familyId, generation, d(at), d(sealedUntil)],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async insertToken(db: PoolClient, familyId: string, hash: string, generation: number, origin: TokenOrigin, issuedAt: number): Promise<void> {
    await db.query('INSERT INTO token_refresh_tokens (hash, family_id, generation, origin, issued_at) VALUES ($1, $2, $3, $4, $5)', [
      hash,
      familyId,
      generation,
      origin,
      d(issuedAt),
    ]);
  }
}

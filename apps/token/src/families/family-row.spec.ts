import { handleRefresh, issueFamily, seededRandomBytes } from '@foresight/token-core';
import { graceMsFor, jtiOf, toFamily, type FamilyRow } from './family-row';

const START = Date.UTC(2025, 0, 1);
const d = (t: number) => new Date(t);

function row(over: Partial<FamilyRow> = {}): FamilyRow {
  return {
    family_id: 'f1',
    session_id: 's1',
    user_id: 'u1',
    created_at: d(START),
    absolute_expires_at: d(START + 86_400_000),
    version: 3,
    status: 'active',
    revoked_at: null,
    revoked_reason: null,
    current_hash: 'h2',
    current_generation: 2,
    current_issued_at: d(START + 2000),
    current_expires_at: d(START + 3_600_000),
    current_origin: 'client',
    access_expires_at: d(START + 900_000),
    delivered_at: d(START + 2000),
    previous_hash: 'h1',
    previous_generation: 1,
    previous_issued_at: d(START + 1000),
    previous_expires_at: d(START + 3_600_000),
    previous_rotated_at: d(START + 2000),
    sealed_pair: null,
    sealed_generation: null,
    sealed_until: null,
    ...over,
  };
}

describe('family rows', () => {
  it('maps a row to the token-core family; only an older presented hash counts as retired', () => {
    const f = toFamily(row(), { hash: 'h0', generation: 0 });
    expect(f.current).toEqual({ hash: 'h2', generation: 2, issuedAt: START + 2000, expiresAt: START + 3_600_000 });
    expect(f.previous).toEqual({ hash: 'h1', generation: 1, issuedAt: START + 1000, expiresAt: START + 3_600_000, rotatedAt: START + 2000 });
    expect(f.retiredHashes).toEqual(['h0']);
    expect(toFamily(row(), { hash: 'h1', generation: 1 }).retiredHashes).toEqual([]);
    expect(toFamily(row({ previous_hash: null, previous_generation: null })).previous).toBeUndefined();
  });

  it('a row round-trips through handleRefresh: the previous token within grace returns the current pair, an older one is reuse', () => {
    const issued = issueFamily(
      { familyId: 'f1', userId: 'u1', sessionId: 's1', maxLifetimeMs: 86_400_000 },
      { now: START, randomBytes: seededRandomBytes(1), refreshTtlMs: 3_600_000 },
    );
    const first = handleRefresh(issued.family, issued.refreshToken, { now: START + 10, randomBytes: seededRandomBytes(2), refreshTtlMs: 3_600_000 });
    expect(first.kind).toBe('rotated');
    const f = first.family!;
    const r = row({
      current_hash: f.current.hash,
      current_generation: 1,
      previous_hash: f.previous!.hash,
      previous_generation: 0,
      previous_rotated_at: d(START + 10),
      delivered_at: d(START + 10),
    });
    const again = handleRefresh(toFamily(r, { hash: f.previous!.hash, generation: 0 }), issued.refreshToken, {
      now: START + 20,
      randomBytes: seededRandomBytes(3),
      refreshTtlMs: 3_600_000,
      graceMs: graceMsFor(r, 30_000),
    });
    expect(again.kind).toBe('returned-current');
  });

  it('gives an undelivered pre-minted pair unlimited grace, and the normal grace from delivery', () => {
    expect(graceMsFor(row({ delivered_at: null }), 30_000)).toBe(Number.POSITIVE_INFINITY);
    expect(graceMsFor(row({ delivered_at: d(START + 2000) }), 30_000)).toBe(30_000);
    expect(graceMsFor(row({ delivered_at: d(START + 62_000) }), 30_000)).toBe(90_000);
    expect(graceMsFor(row({ previous_rotated_at: null, previous_hash: null }), 30_000)).toBe(30_000);
  });

  it('names access tokens by family and generation', () => {
    expect(jtiOf('f1', 4)).toBe('f1.4');
  });
});

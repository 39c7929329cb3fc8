import type { TokenRevokedV1 } from '@foresight/contracts';
import { familyOfJti, RevocationList } from './revocation-list';

const F = '2f1c0a4e-8a0b-4c8e-9b7e-1d2a3b4c5d6e';
const revoked = (familyId: string, at: number): TokenRevokedV1 => ({
  id: 'e1',
  type: 'token.revoked',
  version: 1,
  sessionId: 's1',
  occurredAt: new Date(at).toISOString(),
  correlationId: 'c',
  causationId: 'c',
  data: { familyId, reason: 'reuse-detected', revokedAt: new Date(at).toISOString() },
});

describe('RevocationList', () => {
  it('reads the family and generation from an access-token id', () => {
    expect(familyOfJti(`${F}.12`)).toEqual({ familyId: F, generation: 12 });
    expect(familyOfJti('random-jti')).toBeUndefined();
    expect(familyOfJti(`${F}.x`)).toBeUndefined();
  });

  it('rejects every access token of a revoked family and no other', () => {
    const list = new RevocationList(60_000);
    expect(list.apply(revoked(F, 1000))).toBe(F);
    expect(list.apply(revoked(F, 1000))).toBeUndefined();
    expect(list.isRevoked({ jti: `${F}.0` })).toBe(true);
    expect(list.isRevoked({ jti: `${F}.7` })).toBe(true);
    expect(list.isRevoked({ jti: 'other-family.0' })).toBe(false);
  });

  it('forgets a revocation once the family’s access tokens have all expired', () => {
    const list = new RevocationList(60_000);
    list.apply(revoked(F, 1000));
    list.prune(60_999);
    expect(list.size).toBe(1);
    list.prune(61_000);
    expect(list.isRevoked({ jti: `${F}.0` })).toBe(false);
  });
});

import type { AccessTokenClaims } from '@foresight/token-core';
import { TokenRenewer } from './token-renewer';

const FAMILY = '3f1c2b7a-9d7e-4c1b-8a55-0f7a6f2b9c10';
const EXP_S = 2_000_000_000;

const claims = (over: Partial<AccessTokenClaims> = {}): AccessTokenClaims =>
  ({ sub: 'u', sid: 'sess-1', jti: `${FAMILY}.4`, iat: EXP_S - 900, exp: EXP_S, iss: 'foresight', aud: 'foresight-api', ...over }) as AccessTokenClaims;

describe('TokenRenewer (renewal on use)', () => {
  it('asks once per token, only within the window, with the family and generation of its jti', async () => {
    const calls: unknown[] = [];
    const renewer = new TokenRenewer({ windowMs: 70_000, renew: async (r) => (calls.push(r), { renewed: true }) });
    const exp = EXP_S * 1000;
    expect(renewer.onUse(claims(), exp - 71_000)).toBe(false); // not yet
    expect(renewer.onUse(claims(), exp - 70_000)).toBe(true);
    expect(renewer.onUse(claims(), exp - 60_000)).toBe(false); // already asked for this token
    expect(renewer.onUse(claims(), exp)).toBe(false); // expired: never
    expect(renewer.onUse(claims({ jti: 'no-generation' }), exp - 1000)).toBe(false);
    await Promise.resolve();
    expect(calls).toEqual([{ sessionId: 'sess-1', familyId: FAMILY, generation: 4 }]);
  });

  it('asks again after a failed request, and reports the failure', async () => {
    const failures: unknown[] = [];
    let fail = true;
    const renewer = new TokenRenewer({
      windowMs: 70_000,
      renew: async () => {
        if (fail) throw new Error('timeout');
        return { renewed: true };
      },
      onFailed: (e) => failures.push(e),
    });
    const now = EXP_S * 1000 - 30_000;
    expect(renewer.onUse(claims(), now)).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(failures).toHaveLength(1);
    fail = false;
    expect(renewer.onUse(claims(), now + 1000)).toBe(true);
  });

  it('forgets expired tokens and stays within its bound', () => {
    const renewer = new TokenRenewer({ windowMs: 70_000, maxRemembered: 3, renew: async () => ({ renewed: true }) });
    for (let g = 0; g < 10; g++) renewer.onUse(claims({ jti: `${FAMILY}.${g}` }), EXP_S * 1000 - 1000);
    expect(renewer.remembered).toBeLessThanOrEqual(3);
    renewer.onUse(claims({ jti: `${FAMILY}.99`, exp: EXP_S + 10 }), EXP_S * 1000 + 500);
    expect(renewer.remembered).toBe(1);
  });

  it('is off with a zero window', () => {
    const renewer = new TokenRenewer({ windowMs: 0, renew: async () => ({ renewed: true }) });
    expect(renewer.onUse(claims(), EXP_S * 1000 - 1)).toBe(false);
  });
});

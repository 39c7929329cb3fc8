import { seededRandomBytes } from '../random';
import { decideRefresh } from './decide';
import { evolve, replay, type RefreshFamily, type RefreshFamilyEvent } from './family';
import { handleRefresh, issueFamily, rotateFamily, type RefreshContext } from './handler';
import { hashRefreshToken, isWellFormedRefreshToken, mintRefreshToken } from './opaque-token';

const START = 1_700_000_000_000;
const DAY = 86_400_000;

function context(now: number, seed = 1): RefreshContext {
  return { now, randomBytes: seededRandomBytes(seed), refreshTtlMs: 14 * DAY, graceMs: 30_000 };
}

/** Given a family signed in at START and rotated `rotations` times, one minute apart. */
function givenFamily(rotations: number): { family: RefreshFamily; tokens: string[]; events: RefreshFamilyEvent[] } {
  const issued = issueFamily({ familyId: 'f1', userId: 'u1', sessionId: 's1', maxLifetimeMs: 30 * DAY }, context(START, 100));
  let family = issued.family;
  const tokens = [issued.refreshToken];
  const events = [...issued.events];
  for (let i = 1; i <= rotations; i++) {
    const out = handleRefresh(family, tokens[tokens.length - 1]!, context(START + i * 60_000, 100 + i));
    if (out.kind !== 'rotated') throw new Error(`setup: ${out.kind}`);
    family = out.family;
    tokens.push(out.refreshToken);
    events.push(...out.events);
  }
  return { family, tokens, events };
}

describe('opaque refresh tokens', () => {
  it('are 256-bit base64url and stored only as SHA-256', () => {
    const minted = mintRefreshToken(seededRandomBytes(7));
    expect(isWellFormedRefreshToken(minted.token)).toBe(true);
    expect(Buffer.from(minted.token, 'base64url')).toHaveLength(32);
    expect(minted.hash).toBe(hashRefreshToken(minted.token));
    expect(minted.hash).not.toContain(minted.token);
  });

  it('differ for different random streams', () => {
    expect(mintRefreshToken(seededRandomBytes(1)).token).not.toBe(mintRefreshToken(seededRandomBytes(2)).token);
  });
});

describe('rotating a family ahead of expiry (the service pre-mints with this)', () => {
  it('builds the TokenRotated event: next generation, fresh token, sliding lifetime capped by the family', () => {
    const { family } = givenFamily(1);
    const now = START + 10 * 60_000;
    const rotated = rotateFamily(family, context(now, 5));
    expect(rotated.event).toEqual({
      type: 'TokenRotated',
      fromGeneration: 1,
      next: { hash: hashRefreshToken(rotated.refreshToken), generation: 2, issuedAt: now, expiresAt: now + 14 * DAY },
      at: now,
    });
    expect(rotated.generation).toBe(2);
    expect(rotated.family).toEqual(evolve(family, rotated.event));
    // Near the family's end the new token expires with the family, not 14 days later.
    const late = rotateFamily(family, context(START + 25 * DAY, 6));
    expect(late.event.type === 'TokenRotated' && late.event.next.expiresAt).toBe(family.absoluteExpiresAt);
  });

  it('is what a client rotation does too (same inputs, same result)', () => {
    const { family, tokens } = givenFamily(1);
    const out = handleRefresh(family, tokens[1]!, context(START + 5 * 60_000, 11));
    const ahead = rotateFamily(family, context(START + 5 * 60_000, 11));
    expect(out).toMatchObject({ kind: 'rotated', family: ahead.family, refreshToken: ahead.refreshToken, events: [ahead.event] });
  });
});

describe('refresh family', () => {
  it('rotates on every use: the presented token becomes previous, a new current is minted', () => {
    const { family, tokens } = givenFamily(1);
    const out = handleRefresh(family, tokens[1]!, context(START + 10 * 60_000, 9));
    expect(out.kind).toBe('rotated');
    if (out.kind !== 'rotated') return;
    expect(out.family.current.generation).toBe(2);
    expect(out.family.previous?.hash).toBe(hashRefreshToken(tokens[1]!));
    expect(out.family.retiredHashes).toEqual([hashRefreshToken(tokens[0]!)]);
    expect(out.family.version).toBe(family.version + 1);
  });

  it('returns the SAME current pair to the immediately previous token within grace, minting nothing', () => {
    const { family, tokens } = givenFamily(2);
    const out = handleRefresh(family, tokens[1]!, context(START + 2 * 60_000 + 29_000));
    expect(out).toMatchObject({ kind: 'returned-current', generation: 2, events: [] });
    expect(out.family).toBe(family);
  });

  it('treats the previous token after grace as reuse and revokes the family', () => {
    const { family, tokens } = givenFamily(2);
    const out = handleRefresh(family, tokens[1]!, context(START + 2 * 60_000 + 30_001));
    expect(out.kind).toBe('rejected');
    if (out.kind !== 'rejected') return;
    expect(out.error.code).toBe('TOKEN.REUSED');
    expect(out.family?.status).toBe('revoked');
    expect(out.family?.revokedReason).toBe('reuse-detected');
  });

  it('treats any older rotated token as reuse even inside the grace window', () => {
    const { family, tokens } = givenFamily(3);
    expect(decideRefresh(family, hashRefreshToken(tokens[0]!), START + 3 * 60_000 + 1)).toEqual({ kind: 'reuse-detected' });
    expect(decideRefresh(family, hashRefreshToken(tokens[1]!), START + 3 * 60_000 + 1)).toEqual({ kind: 'reuse-detected' });
  });

  it('rejects every token of a revoked family, including the current one', () => {
    const { family, tokens } = givenFamily(2);
    const revoked = evolve(family, { type: 'FamilyRevoked', reason: 'logout', at: START + 3 * 60_000 });
    for (const t of tokens) expect(decideRefresh(revoked, hashRefreshToken(t), START + 4 * 60_000)).toEqual({ kind: 'revoked' });
    expect(() => evolve(revoked, { type: 'TokenRotated', fromGeneration: 2, next: { ...family.current, generation: 3 }, at: START })).toThrow(
      expect.objectContaining({ code: 'TOKEN.REVOKED' }),
    );
  });

  it('rejects an expired current token and an unknown or malformed one', () => {
    const { family, tokens } = givenFamily(0);
    expect(decideRefresh(family, hashRefreshToken(tokens[0]!), START + 14 * DAY)).toEqual({ kind: 'expired' });
    expect(decideRefresh(family, 'not-a-known-hash', START + 1)).toEqual({ kind: 'unknown' });
    expect(decideRefresh(undefined, 'x', START)).toEqual({ kind: 'unknown' });
    const malformed = handleRefresh(family, 'short', context(START + 1));
    expect(malformed.kind === 'rejected' && malformed.error.code).toBe('TOKEN.MALFORMED');
  });

  it('never lets a token outlive the family absolute lifetime', () => {
    const { family, tokens } = givenFamily(0);
    const first = handleRefresh(family, tokens[0]!, context(START + 13 * DAY));
    if (first.kind !== 'rotated') throw new Error(first.kind);
    expect(first.family.current.expiresAt).toBe(START + 27 * DAY);
    const second = handleRefresh(first.family, first.refreshToken, context(START + 26 * DAY));
    expect(second.kind === 'rotated' && second.family.current.expiresAt).toBe(START + 30 * DAY);
  });

  it('refuses a rotation decided on a stale generation (versioned update)', () => {
    const { family } = givenFamily(1);
    const stale: RefreshFamilyEvent = { type: 'TokenRotated', fromGeneration: 0, next: { ...family.current, generation: 1 }, at: START };
    expect(() => evolve(family, stale)).toThrow(expect.objectContaining({ code: 'TOKEN.VERSION_CONFLICT' }));
  });

  it('rebuilds the same state by replaying its events', () => {
    const { family, events } = givenFamily(4);
    expect(replay(events)).toEqual(family);
  });

  it('serialised concurrent refreshes with one token: exactly one rotation, every caller gets the same generation', () => {
    const { family: start, tokens } = givenFamily(0);
    let family = start;
    const results: string[] = [];
    let mints = 0;
    // 1,000 callers race with the same token; the row lock serialises them within a few ms.
    for (let i = 0; i < 1000; i++) {
      const out = handleRefresh(family, tokens[0]!, context(START + 1000 + i * 5, 500 + i));
      if (out.kind === 'rotated') mints++;
      if (out.kind === 'rejected') throw new Error(out.error.code);
      family = out.family;
      results.push(`${out.kind === 'rotated' ? out.generation : out.generation}`);
    }
    expect(mints).toBe(1);
    expect(new Set(results)).toEqual(new Set(['1']));
    expect(family.status).toBe('active');
  });
});

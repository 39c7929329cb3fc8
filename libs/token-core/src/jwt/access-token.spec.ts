import { base64url, SignJWT, UnsecuredJWT, generateSecret } from 'jose';

import { signAccessToken, type AccessTokenRequest } from './access-token';
import { emptyKeyRing, generateSigningKey, rotateKey, type KeyRing } from './key-ring';
import { verifyAccessToken, type VerifyOptions } from './verify';

const START = Date.UTC(2025, 0, 1);
const request = (over: Partial<AccessTokenRequest> = {}): AccessTokenRequest => ({
  userId: 'user-1',
  sessionId: 'session-1',
  jti: 'jti-1',
  now: START,
  ttlMs: 900_000,
  issuer: 'foresight',
  audience: 'foresight-api',
  ...over,
});
const verifyOpts = (over: Partial<VerifyOptions> = {}): VerifyOptions => ({
  now: START + 1_000,
  issuer: 'foresight',
  audience: 'foresight-api',
  ...over,
});

describe('access tokens', () => {
  let ring: KeyRing;
  beforeAll(async () => {
    ring = rotateKey(emptyKeyRing, await generateSigningKey('k1', START));
  });

  it('round-trips the claims', async () => {
    const signed = await signAccessToken(ring, request());
    const result = await verifyAccessToken(ring, signed.token, verifyOpts());
    expect(result).toEqual({ ok: true, claims: signed.claims });
    expect(signed.claims).toMatchObject({ sub: 'user-1', sid: 'session-1', jti: 'jti-1', iat: START / 1000, exp: START / 1000 + 900 });
  });

  it('rejects an expired token with TOKEN.EXPIRED', async () => {
    const signed = await signAccessToken(ring, request());
    const result = await verifyAccessToken(ring, signed.token, verifyOpts({ now: START + 900_000 }));
    expect(result.ok || result.error.code).toBe('TOKEN.EXPIRED');
  });

  it('rejects alg none with TOKEN.UNSUPPORTED_ALG', async () => {
    const unsecured = new UnsecuredJWT({ sid: 's' })
      .setSubject('u')
      .setJti('j')
      .setIssuedAt(START / 1000)
      .setExpirationTime(START / 1000 + 60)
      .encode();
    const result = await verifyAccessToken(ring, unsecured, verifyOpts());
    expect(result.ok || result.error.code).toBe('TOKEN.UNSUPPORTED_ALG');
  });

  it('rejects HS256 (algorithm confusion) with TOKEN.UNSUPPORTED_ALG', async () => {
    const hs = await new SignJWT({ sid: 's' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setSubject('u')
      .sign(await generateSecret('HS256'));
    const result = await verifyAccessToken(ring, hs, verifyOpts());
    expect(result.ok || result.error.code).toBe('TOKEN.UNSUPPORTED_ALG');
  });

  it('rejects a token signed by a different key under a trusted kid with TOKEN.BAD_SIGNATURE', async () => {
    const impostor = rotateKey(emptyKeyRing, await generateSigningKey('k1', START));
    const forged = await signAccessToken(impostor, request());
    const result = await verifyAccessToken(ring, forged.token, verifyOpts());
    expect(result.ok || result.error.code).toBe('TOKEN.BAD_SIGNATURE');
  });

  it('rejects a tampered payload with TOKEN.BAD_SIGNATURE', async () => {
    const [h, , s] = (await signAccessToken(ring, request())).token.split('.');
    const payload = base64url.encode(JSON.stringify({ sub: 'admin', sid: 'x', jti: 'j', iat: 1, exp: 9e9, iss: 'foresight', aud: 'foresight-api' }));
    const result = await verifyAccessToken(ring, `${h}.${payload}.${s}`, verifyOpts());
    expect(result.ok || result.error.code).toBe('TOKEN.BAD_SIGNATURE');
  });

  it.each(['', 'abc', 'a.b', 'a.b.c', '%%%.%%%.%%%', 'x'.repeat(9000)])('rejects malformed input %#', async (token) => {
    const result = await verifyAccessToken(ring, token, verifyOpts());
    expect(result.ok || result.error.code).toBe('TOKEN.MALFORMED');
  });

  it('rejects an unknown kid with TOKEN.UNKNOWN_KEY', async () => {
    const other = rotateKey(emptyKeyRing, await generateSigningKey('k-other', START));
    const result = await verifyAccessToken(ring, (await signAccessToken(other, request())).token, verifyOpts());
    expect(result.ok || result.error.code).toBe('TOKEN.UNKNOWN_KEY');
  });

  it('rejects a token for another audience with TOKEN.CLAIM_MISMATCH', async () => {
    const signed = await signAccessToken(ring, request({ audience: 'someone-else' }));
    const result = await verifyAccessToken(ring, signed.token, verifyOpts());
    expect(result.ok || result.error.code).toBe('TOKEN.CLAIM_MISMATCH');
  });

  it('consults the revocation check after the signature and returns TOKEN.REVOKED', async () => {
    const signed = await signAccessToken(ring, request());
    const seen: string[] = [];
    const result = await verifyAccessToken(ring, signed.token, verifyOpts({ isRevoked: (c) => (seen.push(c.jti), c.sid === 'session-1') }));
    expect(result.ok || result.error.code).toBe('TOKEN.REVOKED');
    expect(seen).toEqual(['jti-1']);
  });

  it('never leaks token content in the error message', async () => {
    const result = await verifyAccessToken(ring, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.', verifyOpts());
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).not.toMatch(/secret-user|none/);
  });
});

describe('key rotation', () => {
  it('keeps verifying tokens of the previous key until it is retired', async () => {
    const k1 = await generateSigningKey('k1', START);
    const k2 = await generateSigningKey('k2', START + 1);
    const ring1 = rotateKey(emptyKeyRing, k1);
    const old = await signAccessToken(ring1, request());
    const ring2 = rotateKey(ring1, k2);

    expect((await signAccessToken(ring2, request())).kid).toBe('k2');
    expect((await verifyAccessToken(ring2, old.token, verifyOpts())).ok).toBe(true);
    const published = [ring2.current!, ...ring2.previous].map((k) => k.publicJwk);
    expect(published.map((k) => k.kid)).toEqual(['k2', 'k1']);
    expect(published.every((k) => k.alg === 'EdDSA' && k.crv === 'Ed25519' && k.d === undefined)).toBe(true);

    const ring3: KeyRing = { current: ring2.current, previous: [] };
    const result = await verifyAccessToken(ring3, old.token, verifyOpts());
    expect(result.ok || result.error.code).toBe('TOKEN.UNKNOWN_KEY');
    expect(() => rotateKey(ring3, k2)).toThrow(expect.objectContaining({ code: 'TOKEN.INVALID_ARGUMENT' }));
  });

  it('refuses to sign without a current key', async () => {
    await expect(signAccessToken(emptyKeyRing, request())).rejects.toMatchObject({ code: 'TOKEN.NO_SIGNING_KEY' });
  });
});

import { exportJWK, generateKeyPair, type JWK, type KeyLike } from 'jose';

import { TokenError } from '../errors';

/** The only signing algorithm this lib issues or accepts. */
export const ACCESS_TOKEN_ALG = 'EdDSA' as const;

/** An Ed25519 key pair with its key id (`kid`). */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyLike;
  readonly publicKey: KeyLike;
  /** Public JWK including `kid`, `alg` and `use`, ready for a JWKS document. */
  readonly publicJwk: JWK;
  readonly createdAt: number;
}

/**
 * Signing keys: `current` signs, `previous` keys only verify until they are retired.
 * Immutable: every operation returns a new ring.
 */
export interface KeyRing {
  readonly current: SigningKey | undefined;
  readonly previous: readonly SigningKey[];
}

/** Generates a fresh Ed25519 signing key with the given key id. */
export async function generateSigningKey(kid: string, now: number): Promise<SigningKey> {
  if (kid.length === 0) throw new TokenError('TOKEN.INVALID_ARGUMENT', 'empty kid');
  const { privateKey, publicKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(publicKey);
  return { kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg: ACCESS_TOKEN_ALG, use: 'sig' }, createdAt: now };
}

/** An empty ring; add a key with {@link rotateKey}. */
export const emptyKeyRing: KeyRing = { current: undefined, previous: [] };

/** Makes `next` the signing key; the old current key keeps verifying until retired. */
export function rotateKey(ring: KeyRing, next: SigningKey): KeyRing {
  if (findKey(ring, next.kid)) throw new TokenError('TOKEN.INVALID_ARGUMENT', `duplicate kid ${next.kid}`);
  return { current: next, previous: ring.current ? [ring.current, ...ring.previous] : ring.previous };
}

/** Finds a key (current or previous) by id. */
export function findKey(ring: KeyRing, kid: string): SigningKey | undefined {
  if (ring.current?.kid === kid) return ring.current;
  return ring.previous.find((k) => k.kid === kid);
}

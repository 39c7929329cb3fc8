import { ErrorCodes, ForesightError, type PublicJwk } from '@foresight/contracts';
import type { Clock } from '@foresight/time';
import { ACCESS_TOKEN_ALG, type KeyRing, type SigningKey } from '@foresight/token-core';
import { importJWK, type JWK, type KeyLike } from 'jose';

/**
 * A verify-only key ring from a JWKS document. token-core's ring holds key pairs; here the
 * "private" half is the public key, which is safe because the ring has no current key, so
 * nothing can ever sign with it (signAccessToken fails with TOKEN.NO_SIGNING_KEY).
 */
async function verifyOnlyRing(jwks: { readonly keys: readonly PublicJwk[] }): Promise<KeyRing> {
  const keys: SigningKey[] = [];
  for (const jwk of jwks.keys) {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || jwk.alg !== ACCESS_TOKEN_ALG || typeof jwk.kid !== 'string') continue;
    const publicKey = (await importJWK(jwk as JWK, ACCESS_TOKEN_ALG)) as KeyLike;
    keys.push({ kid: jwk.kid, privateKey: publicKey, publicKey, publicJwk: { ...jwk }, createdAt: 0 });
  }
  return { current: undefined, previous: keys };
}

/**
 * The token service's JWKS, cached by the gateway: fetched on first use, again after `ttlMs`, and
 * at once (at most every `minRefetchMs`) when a token names a key it does not know, which is how a
 * new signing key is picked up. If the token service is unreachable the last document is kept.
 */
export class JwksCache {
  private ring: KeyRing | undefined;
  private document: { keys: PublicJwk[] } | undefined;
  private fetchedAt = 0;
  private inFlight: Promise<KeyRing> | null = null;

  constructor(
    private readonly fetchJwks: () => Promise<{ keys: readonly PublicJwk[] }>,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly minRefetchMs = 1000,
  ) {}

  /** The current ring (fetching when missing or stale). */
  async current(): Promise<KeyRing> {
    if (this.ring && this.clock.now() - this.fetchedAt < this.ttlMs) return this.ring;
    return this.refresh();
  }

  /** A token named an unknown key: refetch unless that was just done. */
  async afterUnknownKey(): Promise<KeyRing> {
    if (this.ring && this.clock.now() - this.fetchedAt < this.minRefetchMs) return this.ring;
    return this.refresh();
  }

  /** The cached JWKS document (fetching it if needed). */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    await this.current();
    return this.document ?? { keys: [] };
  }

  private refresh(): Promise<KeyRing> {
    this.inFlight ??= (async () => {
      try {
        const doc = await this.fetchJwks();
        this.ring = await verifyOnlyRing(doc);
        this.document = { keys: doc.keys.map((k) => ({ ...k })) };
        this.fetchedAt = this.clock.now();
        return this.ring;
      } catch (error) {
        if (this.ring) return this.ring;
        throw error instanceof ForesightError ? error : new ForesightError(ErrorCodes.UNAVAILABLE, 'The token service is not reachable; retry shortly.');
      } finally {
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }
}

import type { PublicJwk } from '@foresight/contracts';
import { AdvisoryLocks } from '@foresight/persistence';
import type { Clock } from '@foresight/time';
import { generateSigningKey, type KeyRing, type SigningKey } from '@foresight/token-core';
import { exportPKCS8, importJWK, importPKCS8, type JWK, type KeyLike } from 'jose';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Sealer } from '../crypto/sealer';
import { activationFor, rotationDue, signingKeyAt, verifyingKeys, type KeyTimes } from './key-schedule';

interface KeyRow {
  readonly kid: string;
  readonly public_jwk: JWK;
  readonly sealed_private_key: Buffer;
  readonly created_at: Date;
  readonly activates_at: Date;
}

export interface SigningKeyOptions {
  readonly rotationMs: number;
  readonly activationDelayMs: number;
  /** Longest an access token lives: how long a superseded key keeps verifying. */
  readonly accessTtlMs: number;
}

const times = (r: KeyRow): KeyTimes & { row: KeyRow } => ({ kid: r.kid, createdAt: r.created_at.getTime(), activatesAt: r.activates_at.getTime(), row: r });

/**
 * Ed25519 signing keys kept in `token_signing_keys`, private halves sealed with AES-256-GCM under a
 * key derived from `TOKEN_ENCRYPTION_KEY` (never in plain config, never in plain rows). Every
 * instance loads the same keys, so any instance verifies what another signed. A new key is
 * published in the JWKS `activationDelayMs` before it signs; a superseded key keeps verifying for
 * one access-token lifetime, then leaves the JWKS.
 */
export class SigningKeys {
  private current: KeyRing = { current: undefined, previous: [] };
  private readonly opened = new Map<string, SigningKey>();

  constructor(
    private readonly pool: Pool,
    private readonly sealer: Sealer,
    private readonly now: Clock,
    private readonly opts: SigningKeyOptions,
  ) {}

  /** The ring as of the last `load()`: the key that signs now and the keys that still verify. */
  ring(): KeyRing {
    return this.current;
  }

  /** Creates a key when none exists or the newest is due for rotation (one instance at a time). */
  async rotateIfDue(): Promise<string | undefined> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [AdvisoryLocks.tokenSigningKeys]);
      const existing = (await client.query<KeyRow>('SELECT kid, created_at, activates_at FROM token_signing_keys')).rows.map(times);
      const now = this.now.now();
      if (!rotationDue(existing, now, this.opts.rotationMs)) {
        await client.query('COMMIT');
        return undefined;
      }
      const kid = `k-${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;
      const key = await generateSigningKey(kid, now);
      const pem = await exportPKCS8(key.privateKey);
      await client.query('INSERT INTO token_signing_keys (kid, public_jwk, sealed_private_key, created_at, activates_at) VALUES ($1, $2, $3, $4, $5)', [
        kid,
        key.publicJwk,
        this.sealer.seal('signing-key', Buffer.from(pem, 'utf8'), kid),
        new Date(now),
        new Date(activationFor(existing, now, this.opts.activationDelayMs)),
      ]);
      await client.query('COMMIT');
      return kid;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Re-reads the keys and rebuilds the ring (cheap: only new keys are unsealed). */
  async load(): Promise<KeyRing> {
    const rows = (await this.pool.query<KeyRow>('SELECT * FROM token_signing_keys')).rows.map(times);
    const now = this.now.now();
    const verifying = verifyingKeys(rows, now, this.opts.accessTtlMs);
    const signer = signingKeyAt(verifying, now);
    const keys: SigningKey[] = [];
    for (const k of verifying) keys.push(await this.open(k.row));
    this.current = { current: keys.find((k) => k.kid === signer?.kid), previous: keys.filter((k) => k.kid !== signer?.kid) };
    for (const kid of this.opened.keys()) if (!verifying.some((k) => k.kid === kid)) this.opened.delete(kid);
    return this.current;
  }

  /** The public JWKS, read from the table so it is current whichever instance answers. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    const rows = (await this.pool.query<KeyRow>('SELECT kid, public_jwk, created_at, activates_at FROM token_signing_keys')).rows.map(times);
    return { keys: verifyingKeys(rows, this.now.now(), this.opts.accessTtlMs).map((k) => ({ ...(k.row.public_jwk as PublicJwk) })) };
  }

  private async open(row: KeyRow): Promise<SigningKey> {
    const cached = this.opened.get(row.kid);
    if (cached) return cached;
    const pem = this.sealer.open('signing-key', row.sealed_private_key, row.kid).toString('utf8');
    const privateKey = (await importPKCS8(pem, 'EdDSA', { extractable: false })) as KeyLike;
    const publicKey = (await importJWK(row.public_jwk, 'EdDSA')) as KeyLike;
    const key: SigningKey = { kid: row.kid, privateKey, publicKey, publicJwk: row.public_jwk, createdAt: row.created_at.getTime() };
    this.opened.set(row.kid, key);
    return key;
  }
}

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a sealed value protects; each purpose gets its own derived key. */
export type SealPurpose = 'signing-key' | 'token-pair';

/**
 * Seals secrets at rest with AES-256-GCM. Keys are derived per purpose from one configured secret
 * (`TOKEN_ENCRYPTION_KEY`) with HKDF-SHA256, so a signing key and a grace-window pair are never
 * encrypted under the same key. The additional data binds a sealed value to its row (e.g. the kid),
 * so a value copied into another row does not open. Format: version | iv | tag | ciphertext.
 */
export class Sealer {
  private readonly keys = new Map<SealPurpose, Buffer>();

  constructor(private readonly secret: string) {
    if (secret.length < 32) throw new RangeError('the sealing secret must be at least 32 characters');
  }

  seal(purpose: SealPurpose, plaintext: Uint8Array, aad: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(purpose), iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  /** Opens a sealed value; throws if it was tampered with, sealed for another purpose/row, or under another secret. */
  open(purpose: SealPurpose, sealed: Uint8Array, aad: string): Buffer {
    const buf = Buffer.from(sealed);
    if (buf.length < 1 + IV_BYTES + TAG_BYTES || buf[0] !== VERSION) throw new Error('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key(purpose), buf.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(buf.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(buf.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  }

  private key(purpose: SealPurpose): Buffer {
    let key = this.keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.secret, 'foresight-token-service', `foresight/${purpose}/v1`, 32));
      this.keys.set(purpose, key);
    }
    return key;
  }
}

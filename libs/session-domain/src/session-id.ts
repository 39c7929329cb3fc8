import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const RANDOM_BYTES = 16; // 128 bits from the CSPRNG
const TAG_BYTES = 8;
const ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;

function tag(secret: string, random: Buffer): Buffer {
  return createHmac('sha256', secret).update(random).digest().subarray(0, TAG_BYTES);
}

/**
 * A new session id: 128 random bits plus a 64-bit HMAC tag, base64url (32 characters).
 * The tag lets every node reject an id the cluster did not issue without a lookup.
 */
export function generateSessionId(secret: string, random: (n: number) => Buffer = randomBytes): string {
  const r = random(RANDOM_BYTES);
  return Buffer.concat([r, tag(secret, r)]).toString('base64url');
}

/** True when `id` has the right shape and carries a valid tag for `secret`. */
export function isIssuedSessionId(id: unknown, secret: string): id is string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) return false;
  const raw = Buffer.from(id, 'base64url');
  if (raw.length !== RANDOM_BYTES + TAG_BYTES) return false;
  const expected = tag(secret, raw.subarray(0, RANDOM_BYTES));
  return timingSafeEqual(expected, raw.subarray(RANDOM_BYTES));
}

/** `id` when the cluster issued it; otherwise the `SESSION.NOT_FOUND` every service answers for a made-up id. */
export function checkIssuedId(id: unknown, secret: string): string {
  if (!isIssuedSessionId(id, secret)) throw new ForesightError(ErrorCodes.SESSION_NOT_FOUND, 'No such session: the id was not issued by this cluster.');
  return id;
}

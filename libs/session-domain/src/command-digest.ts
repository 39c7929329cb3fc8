import { createHash } from 'node:crypto';
import type { SessionCommand } from './decide';

/**
 * A 32-bit digest of a write command as received: kind, target, value or patch, expected version,
 * the options of a create. It is what an idempotency key is bound to: a retry carries the same
 * command, so the same digest. The JSON is the decoded request's, keys in the order sent (a client
 * that retries sends the same body); 0 is kept for "unknown", so a digest is never 0.
 */
export function commandDigest(command: SessionCommand): number {
  return createHash('sha256').update(JSON.stringify(command)).digest().readUInt32BE(0) || 1;
}

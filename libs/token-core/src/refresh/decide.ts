import type { RefreshFamily } from './family';

/** Default grace window for the immediately previous refresh token. */
export const DEFAULT_REFRESH_GRACE_MS = 30_000;

/** What to do with a presented refresh token. */
export type RefreshDecision =
  /** The current token was presented: mint the next pair and rotate. */
  | { readonly kind: 'rotate'; readonly fromGeneration: number }
  /** The immediately previous token within grace (a racing caller): hand back the SAME current pair. */
  | { readonly kind: 'return-current'; readonly generation: number }
  /** An older token, or the previous one after grace: revoke the whole family. */
  | { readonly kind: 'reuse-detected' }
  | { readonly kind: 'revoked' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'unknown' };

/**
 * Pure decision for a refresh request. `family` is the family the presented hash belongs to
 * (undefined when no family holds it). The service calls this while holding the family's row
 * lock (or with a versioned update), which makes refresh single-flight per family.
 */
export function decideRefresh(
  family: RefreshFamily | undefined,
  presentedHash: string,
  now: number,
  graceMs: number = DEFAULT_REFRESH_GRACE_MS,
): RefreshDecision {
  if (!family) return { kind: 'unknown' };
  const isCurrent = family.current.hash === presentedHash;
  const isPrevious = family.previous?.hash === presentedHash;
  const isRetired = family.retiredHashes.includes(presentedHash);
  if (!isCurrent && !isPrevious && !isRetired) return { kind: 'unknown' };
  if (family.status === 'revoked') return { kind: 'revoked' };
  if (isRetired) return { kind: 'reuse-detected' };
  if (isPrevious) {
    const rotatedAt = family.previous!.rotatedAt;
    // The window is measured from the rotation, so a stolen previous token is useful for at most graceMs.
    if (now - rotatedAt > graceMs) return { kind: 'reuse-detected' };
    if (now >= family.current.expiresAt) return { kind: 'expired' };
    return { kind: 'return-current', generation: family.current.generation };
  }
  if (now >= family.current.expiresAt) return { kind: 'expired' };
  return { kind: 'rotate', fromGeneration: family.current.generation };
}
